//! `sagetune iam-policy`: the least-privilege policy for plan, apply or destroy, offline.

use crate::cli::{IamPolicyArgs, PolicyFor};
use crate::cloud::AwsOptions;
use crate::diagnostics::Diagnostic;
use crate::jumpstart::source::Buckets;
use crate::manifest;
use crate::permissions::{document, statements, unbounded_role, Purpose, Scope};
use crate::prepare::models::{env, region};

use super::Outcome;

pub fn run(args: &IamPolicyArgs) -> Outcome {
    let loaded = match manifest::load(&args.manifest.file) {
        Ok(l) => l,
        Err(d) => return Outcome::failed(&d, "no policy was made"),
    };
    let problems = manifest::check(&loaded);
    if problems.iter().any(Diagnostic::is_error) {
        return Outcome::failed(&problems, "no policy was made");
    }
    let offline = AwsOptions {
        profile: None,
        region: args.region.clone(),
    };
    let region = region(&loaded, &offline);
    let buckets = Buckets::for_region(region.as_deref().unwrap_or("*"), &env);
    let scope = Scope::of(
        &loaded.manifest,
        region.as_deref(),
        args.account.as_deref(),
        &buckets.content,
        &buckets.gated,
    );
    let (purpose, command) = match args.purpose {
        PolicyFor::Plan => (Purpose::Plan, "plan"),
        PolicyFor::Apply => (Purpose::Apply, "apply"),
        PolicyFor::Destroy => (Purpose::Destroy, "destroy"),
    };
    if let Some(why) = unbounded_role(&scope, purpose) {
        let d = Diagnostic::new("iam::unbounded-role", why).help(
            "set `role.permissions_boundary` to the ARN of a managed policy your administrators control (the role is then created and changed only under it), or name an existing role with `role.arn`",
        );
        return Outcome::failed(&[d], "no policy was made");
    }
    let policy = statements(&scope, purpose);
    let mut note = format!(
        "The IAM policy `sagetune {command}` needs for stack {} ({} statements).\n",
        scope.stack,
        policy.len()
    );
    if scope.account == "*" {
        note.push_str("note: the account is `*`: pass --account ID to pin it.\n");
    }
    if scope.region == "*" {
        note.push_str("note: the region is `*`: set `region` in the manifest or pass --region.\n");
    }
    Outcome {
        stderr: note,
        ..Outcome::printed(format!(
            "{}\n",
            serde_json::to_string_pretty(&document(&policy)).unwrap_or_default()
        ))
    }
}
