//! `Sp<T>`: a value with the place in the manifest it came from; owns nothing else.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A deserialized value and its byte range in the manifest; equality and hashing look at the
/// value only, so spanned map keys behave like plain ones.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub(crate) struct Sp<T>(pub Spanned<T>);

impl<T> Sp<T> {
    /// The value itself.
    pub(crate) fn get(&self) -> &T {
        &self.0.value
    }

    /// Byte range of the node where the value is written (at least one byte when known).
    pub(crate) fn span(&self) -> Range<usize> {
        let s = self.0.referenced.span();
        let start = s.byte_offset().unwrap_or(0) as usize;
        let len = s.byte_len().unwrap_or(0) as usize;
        start..start + len.max(1)
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0.value == other.0.value
    }
}

impl<T: Eq> Eq for Sp<T> {}

impl<T: Hash> Hash for Sp<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.value.hash(state);
    }
}

impl Borrow<str> for Sp<String> {
    fn borrow(&self) -> &str {
        &self.0.value
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn is_referenceable() -> bool {
        T::is_referenceable()
    }

    fn schema_name() -> String {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        T::json_schema(gen)
    }

    fn _schemars_private_non_optional_json_schema(gen: &mut SchemaGenerator) -> Schema {
        T::_schemars_private_non_optional_json_schema(gen)
    }

    fn _schemars_private_is_option() -> bool {
        T::_schemars_private_is_option()
    }
}
