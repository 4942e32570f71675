//! The planner's role half: the managed role created, kept, put back in shape (policy and
//! permissions boundary), or deleted once the manifest names its own.

use super::planner::{change, Planner};
use super::{Action, Change, ChangeId, FieldDiff, Request, ResourceKind};
use crate::cloud::{Role, RoleRequest};

impl Planner<'_> {
    /// The managed role: created, kept, or put back in shape; its ARN when it exists.
    pub(super) fn role(&mut self) -> Option<String> {
        let Some(want) = &self.d.role else {
            self.role_no_longer_managed();
            return None;
        };
        let Some(have) = &self.o.role else {
            let mut c = change(
                ChangeId::at("role"),
                ResourceKind::Role,
                &want.role_name,
                Action::Create,
                "new execution role for SageMaker".into(),
            );
            c.diff.push(FieldDiff {
                field: format!("policy {}", want.policy_name),
                before: None,
                after: Some(pretty_json(&want.policy_document)),
            });
            c.request = Some(Request::CreateRole(want.clone()));
            self.changes.push(c);
            return None;
        };
        if !self.check_owner("IAM role", &have.name, &have.tags) {
            return None;
        }
        let same = |a: &str, b: &str| json_eq(a, b);
        let policy_same = have
            .inline_policies
            .get(&want.policy_name)
            .is_some_and(|p| same(p, &want.policy_document));
        // A boundary the manifest sets must be on the role (one it does not set is left).
        let boundary_same = want.permissions_boundary.is_none()
            || want.permissions_boundary == have.permissions_boundary;
        if policy_same && boundary_same && same(&have.trust_policy, &want.trust_policy) {
            self.changes.push(change(
                ChangeId::at("role"),
                ResourceKind::Role,
                &have.name,
                Action::Noop,
                "policy matches".into(),
            ));
        } else {
            self.changes.push(role_update(have, want, boundary_same));
        }
        Some(have.arn.clone())
    }

    /// Deletes the role sagetune managed once the manifest names its own.
    fn role_no_longer_managed(&mut self) {
        let Some(r) = self.o.role.as_ref().filter(|r| self.owned(&r.tags)) else {
            return;
        };
        let mut c = change(
            ChangeId::at("role"),
            ResourceKind::Role,
            &r.name,
            Action::Delete,
            if self.destroying {
                "destroyed with the stack".into()
            } else {
                "the manifest no longer asks sagetune to manage the role".into()
            },
        );
        c.request = Some(Request::DeleteRole {
            role_name: r.name.clone(),
        });
        self.changes.push(c);
    }
}

/// Puts the managed role's policy (and boundary) back in the shape the manifest derives.
fn role_update(have: &Role, want: &RoleRequest, boundary_same: bool) -> Change {
    let mut c = change(
        ChangeId::at("role"),
        ResourceKind::Role,
        &have.name,
        Action::Update,
        if boundary_same {
            "the inline policy differs from the one sagetune derives from the manifest".into()
        } else {
            "the role's permissions boundary is not the manifest's".into()
        },
    );
    if !boundary_same {
        c.diff.push(FieldDiff {
            field: "permissions_boundary".into(),
            before: have.permissions_boundary.clone(),
            after: want.permissions_boundary.clone(),
        });
    }
    c.diff.push(FieldDiff {
        field: format!("policy {}", want.policy_name),
        before: (have.inline_policies.get(&want.policy_name)).map(|p| pretty_json(p)),
        after: Some(pretty_json(&want.policy_document)),
    });
    c.request = Some(Request::PutRolePolicy(want.clone()));
    c
}

fn json_eq(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn pretty_json(s: &str) -> String {
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| s.to_string())
}
