//! JumpStart knowledge: the embedded catalog (offline), the model manifest and specs (from
//! the content bucket or the SDK's local overrides), version matching, what a spec sets for
//! a training job and an endpoint, hyperparameters, and the exact SageMaker requests. Only
//! `source` touches the outside world, through a store the caller provides; `pins` and the
//! spec cache read and write files next to the manifest.
//!
//! Three steps that all "resolve", each in its own file: `fetch` chooses a version and loads
//! its spec; `settings` turns a spec into images, scripts, artifacts and instance choices for
//! one instance type; `crate::prepare::bind` checks the manifest against those settings.

pub mod catalog;
pub mod error;
pub mod fetch;
pub mod hyperparameters;
pub mod index;
pub mod payload;
pub mod pins;
pub mod regions;
pub mod requests;
pub mod settings;
pub mod source;
pub mod spec;
pub mod version;

pub use error::ResolveError;
