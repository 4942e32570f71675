//! A spec's per-instance-type variants: properties looked up on the instance type, then its
//! family, and regional properties (image URIs) through the region's aliases.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Per-instance-type or per-family properties, with regional aliases for URIs.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub(crate) struct InstanceTypeVariants {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) regional_aliases: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) variants: BTreeMap<String, Variant>,
}

/// The properties of one variant (an instance type such as `ml.g5.12xlarge` or a family
/// such as `g5`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub(crate) struct Variant {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) regional_properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) properties: Map<String, Value>,
}

/// The instance family of an instance type (`ml.g5.12xlarge` → `g5`), as the SDK's
/// `get_instance_type_family` computes it.
pub(crate) fn instance_family(instance_type: &str) -> Option<&str> {
    let rest = instance_type
        .strip_prefix("ml.")
        .or_else(|| instance_type.strip_prefix("ml_"))?;
    let family = rest.split('.').next()?;
    (!family.is_empty()
        && family
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    .then_some(family)
}

impl InstanceTypeVariants {
    /// The variants that apply to `instance_type`, most specific first (instance, family).
    fn applicable(&self, instance_type: &str) -> Vec<&Variant> {
        [Some(instance_type), instance_family(instance_type)]
            .into_iter()
            .flatten()
            .filter_map(|k| self.variants.get(k))
            .collect()
    }

    /// A regional property such as `image_uri`: `$alias` resolved through the region's
    /// aliases; `None` when no variant has it or the region has no alias.
    pub(crate) fn regional(
        &self,
        instance_type: &str,
        region: &str,
        property: &str,
    ) -> Option<String> {
        let value = self
            .applicable(instance_type)
            .into_iter()
            .find_map(|v| v.regional_properties.get(property))?;
        let alias = value.strip_prefix('$')?;
        self.regional_aliases.get(region)?.get(alias).cloned()
    }

    /// A plain property (instance value first, then the family's).
    pub(crate) fn property(&self, instance_type: &str, property: &str) -> Option<&Value> {
        self.applicable(instance_type)
            .into_iter()
            .find_map(|v| v.properties.get(property))
    }

    /// A map property such as `environment_variables`: the family's values overlaid by the
    /// instance's.
    pub(crate) fn merged_map(&self, instance_type: &str, property: &str) -> Map<String, Value> {
        let mut out = Map::new();
        for v in self.applicable(instance_type).into_iter().rev() {
            if let Some(Value::Object(m)) = v.properties.get(property) {
                for (k, val) in m {
                    out.insert(k.clone(), val.clone());
                }
            }
        }
        out
    }

    /// A list property such as `hyperparameters` or `metrics`: the family's entries overlaid
    /// by the instance's, by their key.
    pub(crate) fn merged_list<T: for<'de> Deserialize<'de>>(
        &self,
        instance_type: &str,
        property: &str,
        key: impl Fn(&T) -> String,
    ) -> Vec<T> {
        let mut out: Vec<T> = Vec::new();
        for v in self.applicable(instance_type).into_iter().rev() {
            let Some(list) = v.properties.get(property).and_then(Value::as_array) else {
                continue;
            };
            for item in list {
                let Ok(parsed) = serde_json::from_value::<T>(item.clone()) else {
                    continue;
                };
                let k = key(&parsed);
                out.retain(|existing| key(existing) != k);
                out.push(parsed);
            }
        }
        out
    }

    /// Every distinct value of a plain property across the variants of `instance_types`.
    pub(crate) fn values_for(&self, instance_types: &[String], property: &str) -> Vec<String> {
        let mut out: Vec<String> = instance_types
            .iter()
            .filter_map(|it| {
                self.property(it, property)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
