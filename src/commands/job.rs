//! What `logs` and `metrics` share: the manifest's stack, the fine-tune named on the command
//! line (checked against the manifest), and the training job meant (`--job` or the latest).

use crate::cli::JobArgs;
use crate::cloud::{AwsCloud, AwsOptions, TrainingJob};
use crate::diagnostics::Diagnostic;
use crate::observe::logs::job_of;
use crate::prepare::stack_only;

/// The job `args` names, with a cloud for its region; or the diagnostics why not.
pub(crate) fn find(
    args: &JobArgs,
    aws: &AwsOptions,
) -> Result<(AwsCloud, TrainingJob), Vec<Diagnostic>> {
    let (loaded, ctx) = stack_only(&args.manifest.file, aws)?;
    let m = &loaded.manifest;
    if !m.fine_tunes.contains_key(args.fine_tune.as_str()) {
        let known: Vec<&str> = m.fine_tunes.keys().map(|k| k.get().as_str()).collect();
        let d = Diagnostic::new(
            "logs::unknown-fine-tune",
            format!(
                "{} has no fine-tune `{}`",
                args.manifest.file.display(),
                args.fine_tune
            ),
        )
        .help(format!("fine-tunes in this manifest: {}", known.join(", ")));
        return Err(vec![d]);
    }
    let cloud = AwsCloud::new(aws.clone(), &ctx.region);
    let job = job_of(&cloud, m.stack.get(), &args.fine_tune, args.job.as_deref())
        .map_err(|e| vec![Diagnostic::from(&e)])?;
    Ok((cloud, job))
}
