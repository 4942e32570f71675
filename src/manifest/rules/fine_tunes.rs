//! Datasets and fine-tunes: names and references, the model and its EULA, instances,
//! hyperparameters against the spec, the validation split and the runtime.

use super::*;

/// Dataset names, non-empty paths and text columns.
pub(super) fn check_datasets(c: &mut Checker<'_>, m: &Manifest) {
    for (name, ds) in &m.datasets {
        c.name("dataset", name);
        for path in std::iter::once(&ds.train).chain(ds.validation.as_ref()) {
            if path.trim().is_empty() {
                c.error(
                    "manifest::empty-path",
                    format!("dataset `{}` has an empty path", name.get()),
                    path.span(),
                    "empty path",
                    "give a file or a folder holding exactly one .csv, .json, .jsonl or .txt file"
                        .into(),
                );
            }
        }
        if let Some(col) = &ds.text_column {
            if col.trim().is_empty() {
                c.error(
                    "manifest::empty-text-column",
                    "text_column is empty".into(),
                    col.span(),
                    "empty",
                    "name the column that holds the text, or remove text_column to use `text` or the first column".into(),
                );
            }
        }
    }
}

/// A fine-tune's name, model, dataset, instances, runtime and hyperparameters.
pub(super) fn check_fine_tune(c: &mut Checker<'_>, m: &Manifest, name: &Sp<String>, ft: &FineTune) {
    c.name("fine-tune", name);
    check_model(c, name, ft);
    c.reference("dataset", "dataset", &ft.dataset, &m.datasets);
    c.instance("training", &ft.instance_type, &ft.instance_count);
    if let Some(rt) = &ft.max_runtime {
        if let Err(why) = parse_max_runtime(rt) {
            c.error(
                "manifest::invalid-max-runtime",
                format!("max_runtime `{}` {why}", rt.get()),
                rt.span(),
                "invalid duration",
                "write a duration such as `90m`, `10h` or `2days`, at most 28 days".into(),
            );
        }
    }
    let has_validation = m
        .datasets
        .get(ft.dataset.get().as_str())
        .is_some_and(|d| d.validation.is_some());
    check_hyperparameters(c, &ft.hyperparameters, has_validation);
}

pub(super) fn check_model(
    c: &mut Checker<'_>,
    name: &Sp<String>,
    ft: &crate::manifest::model::FineTune,
) {
    let model = match catalog::find(&ft.model) {
        Some(model) => Some(model),
        None => {
            let close = catalog::closest(&ft.model);
            c.error(
                "manifest::unknown-model",
                format!(
                    "`{}` is not a JumpStart model that supports domain adaptation",
                    ft.model.get()
                ),
                ft.model.span(),
                "unknown model id",
                format!(
                    "closest known ids: {}; `sagetune models` lists all 17",
                    list(&close)
                ),
            );
            None
        }
    };
    if let Some(v) = &ft.model_version {
        if !version_re().is_match(v) {
            c.error(
                "manifest::invalid-model-version",
                format!("model_version `{}` is not a version pattern", v.get()),
                v.span(),
                "invalid version",
                "write `*` for the latest, a prefix such as `3.*`, or an exact version such as `3.2.13` (quote it)".into(),
            );
        }
    }
    if let Some(model) = model.filter(|m| m.gated) {
        let accepted = ft.accept_eula.as_ref().is_some_and(|a| *a.get());
        if !accepted {
            let (span, label) = match &ft.accept_eula {
                Some(a) => (a.span(), "not accepted"),
                None => (ft.model.span(), "gated model"),
            };
            c.error(
                "manifest::eula-required",
                format!("fine-tune `{}` uses {} ({}), a gated model whose license must be accepted", name.get(), model.name, model.id),
                span,
                label,
                "read Meta's Llama 2 Community License and Acceptable Use Policy; if you accept them, add `accept_eula: true` to this fine-tune. sagetune then sends the acceptance with the training job".into(),
            );
        }
    }
}

pub(super) fn check_hyperparameters(
    c: &mut Checker<'_>,
    hps: &IndexMap<Sp<String>, Sp<HyperValue>>,
    has_validation: bool,
) {
    for (k, v) in hps {
        if !hyper_name_re().is_match(k) {
            c.error(
                "manifest::invalid-hyperparameter-name",
                format!("`{}` is not a hyperparameter name", k.get()),
                k.span(),
                "invalid name",
                "hyperparameter names are letters, digits and `_`, as in the model spec (e.g. `learning_rate`)".into(),
            );
        }
        if k.starts_with("sagemaker_") {
            c.error(
                "manifest::reserved-hyperparameter",
                format!("`{}` is set by sagetune, not by the manifest", k.get()),
                k.span(),
                "reserved",
                "`sagemaker_*` keys are the training script's own settings; remove this one".into(),
            );
        }
        if let HyperValue::NotScalar(what) = v.get() {
            c.error(
                "manifest::hyperparameter-not-scalar",
                format!(
                    "hyperparameter `{}` is {what}; SageMaker hyperparameters are single values",
                    k.get()
                ),
                v.span(),
                "not a scalar",
                "give a string, number or boolean (e.g. `epoch: 3`)".into(),
            );
            continue;
        }
        match k.get().as_str() {
            "instruction_tuned" | "chat_dataset" if is_truthy(v.get()) => c.error(
                "manifest::not-domain-adaptation",
                format!("`{}` turns this into a different kind of fine-tuning", k.get()),
                v.span(),
                "must be False",
                "sagetune does domain adaptation (continued pre-training on plain text) and always sends instruction_tuned=False and chat_dataset=False; remove this key".into(),
            ),
            "validation_split_ratio" => check_split_ratio(c, k, v, has_validation),
            _ => {}
        }
    }
}

pub(super) fn check_split_ratio(
    c: &mut Checker<'_>,
    k: &Sp<String>,
    v: &Sp<HyperValue>,
    has_validation: bool,
) {
    let ratio = match v.get() {
        HyperValue::Float(f) => Some(*f),
        HyperValue::Int(i) => Some(*i as f64),
        HyperValue::Text(t) => t.trim().parse::<f64>().ok(),
        _ => None,
    };
    match ratio {
        Some(r) if r > 0.0 && r < 1.0 => {
            if has_validation {
                c.warning(
                    "manifest::split-ratio-ignored",
                    "validation_split_ratio has no effect: this dataset has a validation file".into(),
                    k.span(),
                    "ignored",
                    "remove validation_split_ratio, or remove the dataset's `validation` to split the training data instead".into(),
                );
            }
        }
        _ => c.error(
            "manifest::invalid-split-ratio",
            "validation_split_ratio must be a number strictly between 0 and 1".into(),
            v.span(),
            "out of range",
            "e.g. `validation_split_ratio: 0.2` holds out 20% of the training data".into(),
        ),
    }
}

pub(super) fn is_truthy(v: &HyperValue) -> bool {
    match v {
        HyperValue::Bool(b) => *b,
        HyperValue::Text(t) => t.trim().eq_ignore_ascii_case("true"),
        HyperValue::Int(i) => *i != 0,
        _ => false,
    }
}

/// Parses `max_runtime` (humantime) and checks SageMaker's bounds: 1 second to 28 days.
pub(crate) fn parse_max_runtime(text: &str) -> Result<Duration, String> {
    let d =
        humantime::parse_duration(text.trim()).map_err(|e| format!("is not a duration ({e})"))?;
    if d < Duration::from_secs(1) {
        Err("is shorter than one second".into())
    } else if d > MAX_RUNTIME_LIMIT {
        Err("exceeds SageMaker's limit of 28 days".into())
    } else {
        Ok(d)
    }
}
