//! A change's identity in a plan: the manifest address of its object and, for an object the
//! manifest no longer describes (superseded, orphaned, an upload left behind), its AWS name.
//! Written as `address` or `address[name]` in plan files; read back only there.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Unique within a plan; ordered and compared by address, then instance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangeId {
    address: String,
    instance: Option<String>,
}

impl ChangeId {
    /// The change to the object at a manifest address (`fine_tune.x`, `dataset.d.train`).
    pub fn at(address: impl Into<String>) -> Self {
        ChangeId {
            address: address.into(),
            instance: None,
        }
    }

    /// The change to one named object at an address the manifest no longer (or never)
    /// describes by itself: `endpoint_config.y[old-config]`, `upload[id]`.
    pub fn instance(address: impl Into<String>, name: impl Into<String>) -> Self {
        ChangeId {
            address: address.into(),
            instance: Some(name.into()),
        }
    }

    /// The manifest address, without the instance.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The key of an address of `kind` (`endpoint.chat` → `chat` for `endpoint`), for a
    /// change to the object the manifest describes there (not a named instance).
    pub(crate) fn key_in(&self, kind: &str) -> Option<&str> {
        let rest = self.address.strip_prefix(kind)?.strip_prefix('.')?;
        self.instance.is_none().then_some(rest)
    }

    /// The id as written in plan files (`address` or `address[name]`).
    fn parse(text: &str) -> Self {
        match text.split_once('[') {
            Some((address, rest)) => {
                ChangeId::instance(address, rest.strip_suffix(']').unwrap_or(rest))
            }
            None => ChangeId::at(text),
        }
    }
}

impl fmt::Display for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.instance {
            Some(name) => write!(f, "{}[{name}]", self.address),
            None => f.write_str(&self.address),
        }
    }
}

impl PartialEq<str> for ChangeId {
    fn eq(&self, other: &str) -> bool {
        match &self.instance {
            None => self.address == other,
            Some(name) => {
                let inner = (other.strip_prefix(self.address.as_str()))
                    .and_then(|rest| rest.strip_prefix('['))
                    .and_then(|rest| rest.strip_suffix(']'));
                inner == Some(name.as_str())
            }
        }
    }
}

impl PartialEq<&str> for ChangeId {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl Serialize for ChangeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChangeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ChangeId::parse(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_back_as_written() {
        for id in [
            ChangeId::at("fine_tune.sec"),
            ChangeId::instance("endpoint_config.chat", "st-chat-0123456789"),
            ChangeId::instance("upload", "a[b]"),
        ] {
            let text = serde_json::to_string(&id).unwrap();
            let back: ChangeId = serde_json::from_str(&text).unwrap();
            assert_eq!(back.address(), id.address());
            assert_eq!(back.to_string(), id.to_string());
        }
        assert_eq!(ChangeId::instance("dataset", "k").to_string(), "dataset[k]");
        assert!(ChangeId::at("role") == "role");
        assert!(ChangeId::instance("model.x", "m-1") == "model.x[m-1]");
        assert!(ChangeId::instance("model.x", "m-1") != "model.x");
    }
}
