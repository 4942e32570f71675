//! SageMaker Runtime: requests to deployed models (InvokeEndpoint).

use aws_sdk_sagemakerruntime::primitives::Blob;

use super::answers::cloud_error;
use super::AwsCloud;
use crate::cloud::{CloudError, Invocation};

impl AwsCloud {
    pub(super) fn invoke_endpoint(&self, r: &Invocation) -> Result<Vec<u8>, CloudError> {
        let runtime = self.runtime_client()?;
        let out = self
            .block_on(
                runtime
                    .invoke_endpoint()
                    .endpoint_name(&r.endpoint)
                    .content_type(&r.content_type)
                    .accept(&r.accept)
                    .set_custom_attributes(r.custom_attributes.clone())
                    .body(Blob::new(r.body.clone()))
                    .send(),
            )
            .map_err(|e| cloud_error("InvokeEndpoint", &r.endpoint, &e))?;
        Ok(out.body().map(|b| b.as_ref().to_vec()).unwrap_or_default())
    }
}
