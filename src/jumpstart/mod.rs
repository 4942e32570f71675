//! JumpStart knowledge: the embedded catalog (offline), the model manifest and specs (from
//! the content bucket or the SDK's local overrides), version matching, what a spec sets for
//! a training job and an endpoint, hyperparameters, and the exact SageMaker requests. Only
//! `source` touches the outside world, through a store the caller provides; `pins` and the
//! spec cache read and write files next to the manifest.
//!
//! Three steps that all "resolve", each in its own file: `fetch` chooses a version and loads
//! its spec; `settings` turns a spec into images, scripts, artifacts and instance choices for
//! one instance type; `crate::prepare::bind` checks the manifest against those settings.

pub(crate) mod catalog;
pub(crate) mod error;
pub(crate) mod fetch;
pub(crate) mod hyperparameters;
pub(crate) mod index;
pub(crate) mod payload;
pub(crate) mod pins;
pub(crate) mod regions;
pub(crate) mod requests;
pub(crate) mod settings;
pub mod source;
pub(crate) mod spec;
pub(crate) mod variants;
pub(crate) mod version;

pub(crate) use error::ResolveError;
