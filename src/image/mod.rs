//! Images: references, the content-addressed store, safe layer extraction, manifests.

pub mod archive;
pub mod commit;
pub mod digest;
pub mod extract;
pub mod local;
pub mod manifest;
pub mod reference;
pub mod registries;
pub mod remap;
pub mod store;
