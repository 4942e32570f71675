//! The embedded catalog of the 17 JumpStart models that support domain adaptation, so that
//! `validate` and `sagetune models` work with no network. The model spec read at run time
//! wins over the defaults listed here.

use serde::Serialize;

/// One catalog entry; ids are exactly the JumpStart `model_id`s.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct CatalogModel {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    /// JumpStart model family (the id prefix before the model name).
    pub(crate) family: &'static str,
    /// Gated models need `accept_eula: true` (the Llama 2 license).
    pub(crate) gated: bool,
    /// Name of the input channel the family's training script reads.
    pub(crate) training_channel: &'static str,
    /// Usual training instance type (the spec's default wins at resolution time).
    pub(crate) default_training_instance: &'static str,
    /// Usual hosting instance type (the spec's default wins at resolution time).
    pub(crate) default_inference_instance: &'static str,
}

const HF: &str = "huggingface-textgeneration1";
const META: &str = "meta-textgeneration";
const NEURON: &str = "meta-textgenerationneuron";

const fn hf(id: &'static str, name: &'static str, infer: &'static str) -> CatalogModel {
    CatalogModel {
        id,
        name,
        family: HF,
        gated: false,
        training_channel: "train",
        default_training_instance: "ml.g5.12xlarge",
        default_inference_instance: infer,
    }
}

const fn llama(
    id: &'static str,
    name: &'static str,
    family: &'static str,
    train: &'static str,
    infer: &'static str,
) -> CatalogModel {
    CatalogModel {
        id,
        name,
        family,
        gated: true,
        training_channel: "training",
        default_training_instance: train,
        default_inference_instance: infer,
    }
}

/// The catalog, in the order of the AWS domain-adaptation documentation.
pub(crate) const MODELS: [CatalogModel; 17] = [
    hf(
        "huggingface-textgeneration1-bloom-3b",
        "Bloom 3B",
        "ml.g5.2xlarge",
    ),
    hf(
        "huggingface-textgeneration1-bloom-7b1",
        "Bloom 7B1",
        "ml.g5.12xlarge",
    ),
    hf(
        "huggingface-textgeneration1-bloomz-3b-fp16",
        "BloomZ 3B FP16",
        "ml.g5.2xlarge",
    ),
    hf(
        "huggingface-textgeneration1-bloomz-7b1-fp16",
        "BloomZ 7B1 FP16",
        "ml.g5.12xlarge",
    ),
    hf(
        "huggingface-textgeneration1-gpt-2-xl",
        "GPT-2 XL",
        "ml.g5.2xlarge",
    ),
    hf(
        "huggingface-textgeneration1-gpt-j-6b",
        "GPT-J 6B",
        "ml.g5.12xlarge",
    ),
    hf(
        "huggingface-textgeneration1-gpt-neo-1-3b",
        "GPT-Neo 1.3B",
        "ml.g5.2xlarge",
    ),
    hf(
        "huggingface-textgeneration1-gpt-neo-125m",
        "GPT-Neo 125M",
        "ml.g5.2xlarge",
    ),
    hf(
        "huggingface-textgeneration1-gpt-neo-2-7b",
        "GPT-Neo 2.7B",
        "ml.g5.2xlarge",
    ),
    llama(
        "meta-textgeneration-llama-2-7b",
        "Llama 2 7B",
        META,
        "ml.g5.12xlarge",
        "ml.g5.2xlarge",
    ),
    llama(
        "meta-textgeneration-llama-2-13b",
        "Llama 2 13B",
        META,
        "ml.g5.24xlarge",
        "ml.g5.12xlarge",
    ),
    llama(
        "meta-textgeneration-llama-2-70b",
        "Llama 2 70B",
        META,
        "ml.g5.48xlarge",
        "ml.g5.48xlarge",
    ),
    llama(
        "meta-textgeneration-llama-2-7b-f",
        "Llama 2 7B Chat",
        META,
        "ml.g5.12xlarge",
        "ml.g5.2xlarge",
    ),
    llama(
        "meta-textgeneration-llama-2-13b-f",
        "Llama 2 13B Chat",
        META,
        "ml.g5.24xlarge",
        "ml.g5.12xlarge",
    ),
    llama(
        "meta-textgeneration-llama-2-70b-f",
        "Llama 2 70B Chat",
        META,
        "ml.g5.48xlarge",
        "ml.g5.48xlarge",
    ),
    llama(
        "meta-textgenerationneuron-llama-2-7b",
        "Llama 2 7B Neuron",
        NEURON,
        "ml.trn1.32xlarge",
        "ml.inf2.xlarge",
    ),
    llama(
        "meta-textgenerationneuron-llama-2-13b",
        "Llama 2 13B Neuron",
        NEURON,
        "ml.trn1.32xlarge",
        "ml.inf2.24xlarge",
    ),
];

/// The catalog entry of a model id, if it is one of the domain-adaptation models.
pub(crate) fn find(id: &str) -> Option<&'static CatalogModel> {
    MODELS.iter().find(|m| m.id == id)
}

/// Up to three catalog ids closest to `id`, best first, for "did you mean" help.
pub(crate) fn closest(id: &str) -> Vec<&'static str> {
    let needle = id.to_ascii_lowercase();
    let mut scored: Vec<(f64, &'static str)> = MODELS
        .iter()
        .map(|m| {
            // A model whose id contains what was typed ("gpt-j") beats a similar-looking prefix.
            let contains = if m.id.contains(&needle) { 1.0 } else { 0.0 };
            (contains + strsim::jaro_winkler(&needle, m.id), m.id)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_seventeen_unique_ids_with_their_family_prefix() {
        let mut ids: Vec<_> = MODELS.iter().map(|m| m.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 17);
        for m in MODELS {
            assert!(m.id.starts_with(&format!("{}-", m.family)), "{}", m.id);
            assert_eq!(m.gated, m.family != HF, "{}", m.id);
        }
    }

    #[test]
    fn closest_suggests_the_intended_model_first() {
        assert_eq!(
            closest("huggingface-textgeneration1-gpt-j-6")[0],
            "huggingface-textgeneration1-gpt-j-6b"
        );
        assert_eq!(
            closest("meta-textgeneration-llama2-7b-f")[0],
            "meta-textgeneration-llama-2-7b-f"
        );
        assert!(find("meta-textgeneration-llama-2-70b-f").is_some_and(|m| m.gated));
        assert_eq!(closest("gpt-j")[0], "huggingface-textgeneration1-gpt-j-6b");
        assert!(find("gpt-j").is_none());
    }
}
