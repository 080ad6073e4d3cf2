/** A Subresource Integrity string as npm records it (`dist.integrity`, package-lock `integrity`). */
export const SRI = /^(sha512|sha384|sha256)-[A-Za-z0-9+/]+={0,2}$/;
