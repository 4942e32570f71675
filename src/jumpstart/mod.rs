//! JumpStart knowledge: the embedded catalog (offline), the model manifest and specs (from
//! the content bucket or the SDK's local overrides), version matching, resolution of images,
//! scripts, artifacts and hyperparameters, and the exact SageMaker requests. Only `source`
//! touches the outside world, through a store the caller provides.

pub mod catalog;
pub mod error;
pub mod hyperparameters;
pub mod index;
pub mod lock;
pub mod requests;
pub mod resolve;
pub mod resolver;
pub mod source;
pub mod spec;
pub mod version;

pub use error::ResolveError;
