//! The IAM writes beneath the `Cloud` role methods: the managed role created with its
//! boundary, tags and inline policy, kept in shape, and deleted.

use super::answers::cloud_error;
use super::write::build_error;
use super::AwsCloud;
use crate::cloud::{CloudError, RoleRequest};

impl AwsCloud {
    /// CreateRole with its tags and boundary, then its inline policy; the role's ARN.
    pub(super) fn iam_create_role(&self, role: &RoleRequest) -> Result<String, CloudError> {
        let (_, _, iam) = self.clients()?;
        let tags = role
            .tags
            .iter()
            .map(|t| {
                aws_sdk_iam::types::Tag::builder()
                    .key(&t.key)
                    .value(&t.value)
                    .build()
                    .map_err(|e| build_error("CreateRole", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .block_on(
                iam.create_role()
                    .role_name(&role.role_name)
                    .assume_role_policy_document(&role.trust_policy)
                    .description("SageMaker execution role managed by sagetune")
                    .set_permissions_boundary(role.permissions_boundary.clone())
                    .set_tags(Some(tags))
                    .send(),
            )
            .map_err(|e| cloud_error("CreateRole", &role.role_name, &e))?;
        let arn = out.role().map(|r| r.arn().to_string()).unwrap_or_default();
        self.put_inline_policy(role)?;
        Ok(arn)
    }

    /// PutRolePolicy: the role's inline policy as the manifest derives it.
    fn put_inline_policy(&self, role: &RoleRequest) -> Result<(), CloudError> {
        let (_, _, iam) = self.clients()?;
        self.block_on(
            iam.put_role_policy()
                .role_name(&role.role_name)
                .policy_name(&role.policy_name)
                .policy_document(&role.policy_document)
                .send(),
        )
        .map(|_| ())
        .map_err(|e| cloud_error("PutRolePolicy", &role.role_name, &e))
    }

    /// The boundary, trust policy and inline policy put back in the manifest's shape.
    pub(super) fn iam_put_role_policy(&self, role: &RoleRequest) -> Result<(), CloudError> {
        let (_, _, iam) = self.clients()?;
        // The boundary first: the policy and trust below are then written under it.
        if let Some(boundary) = &role.permissions_boundary {
            self.block_on(
                iam.put_role_permissions_boundary()
                    .role_name(&role.role_name)
                    .permissions_boundary(boundary)
                    .send(),
            )
            .map_err(|e| cloud_error("PutRolePermissionsBoundary", &role.role_name, &e))?;
        }
        self.block_on(
            iam.update_assume_role_policy()
                .role_name(&role.role_name)
                .policy_document(&role.trust_policy)
                .send(),
        )
        .map_err(|e| cloud_error("UpdateAssumeRolePolicy", &role.role_name, &e))?;
        self.put_inline_policy(role)
    }

    /// The inline policies, then the role.
    pub(super) fn iam_delete_role(&self, name: &str) -> Result<(), CloudError> {
        let (_, _, iam) = self.clients()?;
        let policies = self
            .block_on(iam.list_role_policies().role_name(name).send())
            .map_err(|e| cloud_error("ListRolePolicies", name, &e))?;
        for p in policies.policy_names() {
            self.block_on(
                iam.delete_role_policy()
                    .role_name(name)
                    .policy_name(p)
                    .send(),
            )
            .map_err(|e| cloud_error("DeleteRolePolicy", p, &e))?;
        }
        self.block_on(iam.delete_role().role_name(name).send())
            .map(|_| ())
            .map_err(|e| cloud_error("DeleteRole", name, &e))
    }
}
