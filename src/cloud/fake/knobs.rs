//! What tests set on the fake (failures, pace, crashes, seeded objects) and what they read
//! back (calls, names, keys).

use super::*;

impl FakeCloud {
    /// Creates a bucket.
    pub fn add_bucket(&self, bucket: &str) {
        self.lock().buckets.insert(bucket.to_string());
    }

    /// Describe calls per lifecycle step (at least 1).
    pub fn set_pace(&self, describes_per_step: u32) {
        self.lock().pace = describes_per_step.max(1);
    }

    /// The next training job created fails with `reason` instead of completing.
    pub fn fail_next_job(&self, reason: &str) {
        self.lock().job_failures.push_back(reason.to_string());
    }

    /// The next endpoint update rolls back silently: `InService` on the old config, with
    /// `reason` as the failure reason.
    pub fn roll_back_next_update(&self, reason: &str) {
        self.lock().rollbacks.push_back(reason.to_string());
    }

    /// The next `n` CreateTrainingJob calls fail as they do while IAM has not yet propagated a
    /// new role ("could not assume role").
    pub fn refuse_role_for(&self, n: usize) {
        self.lock().unassumable_role = n;
    }

    /// After `n` more successful writes, every write fails as if the network were gone.
    pub fn crash_after_writes(&self, n: usize) {
        self.lock().writes_left = Some(n);
    }

    /// The next `n` status reads of a running job or a changing endpoint (a wait's polls)
    /// fail as a flaky network does.
    pub fn fail_next_reads(&self, n: usize) {
        self.lock().failing_reads = n;
    }

    /// While `error` is set, every InvokeEndpoint answers `{"error": error}`.
    pub fn answer_with_error(&self, error: Option<&str>) {
        self.lock().invoke_error = error.map(str::to_string);
    }

    /// The next conditional PUT is stored but its answer is lost; the caller gets the answer
    /// the SDK's automatic retry of the same request would get (412 Precondition Failed).
    #[cfg(test)]
    pub(crate) fn lose_next_put_answer(&self) {
        self.lock().lose_next_put_answer = true;
    }

    /// Makes the store one without ListMultipartUploads: it answers 501 NotImplemented, as
    /// some S3-compatible stores do.
    pub fn without_upload_listing(&self) {
        self.lock().no_upload_listing = true;
    }

    /// Denies SageMaker `Search`, as a policy without `sagemaker:Search` does.
    pub fn without_search(&self) {
        self.lock().no_search = true;
    }

    /// From now on Search answers with the endpoints as they are now, whatever happens to
    /// them later, as SageMaker's Search index does for a while after a change.
    pub fn lag_search(&self) {
        let mut s = self.lock();
        let now = s.endpoints.values().map(|e| e.endpoint.clone()).collect();
        s.search_snapshot = Some(now);
    }

    /// Leaves a multipart upload behind, as a crash after CreateMultipartUpload does; returns
    /// its upload id.
    pub fn seed_pending_upload(&self, bucket: &str, key: &str) -> String {
        let mut s = self.lock();
        s.next_etag += 1;
        let id = format!("upload-{}", s.next_etag);
        s.pending_uploads
            .insert((bucket.to_string(), key.to_string(), id.clone()));
        id
    }

    /// Writes succeed again.
    pub fn recover(&self) {
        self.lock().writes_left = None;
    }

    /// Every call so far, as `Operation target`.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// Only the calls that change something.
    pub fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| is_write(c.split(' ').next().unwrap_or("")))
            .collect()
    }

    /// Forgets the call log.
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// Runs every job and endpoint transition to its end state.
    pub fn settle(&self) {
        let mut s = self.lock();
        for _ in 0..(JOB_STEPS.len() as u32 + 2) * s.pace.max(1) {
            advance_all(&mut s);
        }
    }

    /// Appends lines to an existing job's log stream (`<job>/algo-1-0`).
    pub fn write_log(&self, job: &str, lines: &[String]) {
        let mut s = self.lock();
        let j = s.jobs.get_mut(job).expect("a job to write the log of");
        for l in lines {
            j.say(l.clone());
        }
    }

    /// Seeds a training job as it would be after running to `status`.
    pub fn seed_job(
        &self,
        request: &CreateTrainingJob,
        status: TrainingStatus,
        reason: Option<&str>,
    ) {
        let mut guard = self.lock();
        let s = &mut *guard;
        let mut job = job_from_request(request);
        job.status = status;
        job.failure_reason = reason.map(str::to_string);
        job.secondary_status = Some(status.as_str().to_string());
        if status == TrainingStatus::Completed {
            complete(&mut s.objects, &mut job, &mut s.next_etag);
        }
        s.jobs.insert(
            job.name.clone(),
            Job {
                job,
                step: 0,
                ticks: 0,
                fails: None,
                log: Vec::new(),
            },
        );
    }

    /// Seeds any endpoint.
    pub fn seed_endpoint(&self, endpoint: Endpoint) {
        self.lock().endpoints.insert(
            endpoint.name.clone(),
            Ep {
                endpoint,
                pending: None,
            },
        );
    }

    /// Seeds an S3 object.
    pub fn seed_object(&self, bucket: &str, key: &str, body: &[u8], sha256: Option<&str>) {
        let mut s = self.lock();
        s.next_etag += 1;
        let etag = format!("\"{}\"", s.next_etag);
        s.objects.insert(
            (bucket.to_string(), key.to_string()),
            Object {
                body: body.to_vec(),
                sha256: sha256.map(str::to_string),
                rows: None,
                etag,
            },
        );
    }

    /// Every object key in a bucket.
    pub fn object_keys(&self, bucket: &str) -> Vec<String> {
        self.lock()
            .objects
            .keys()
            .filter(|(b, _)| b == bucket)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Names of every object of a kind, sorted.
    pub fn names(&self, kind: Kind) -> Vec<String> {
        let s = self.lock();
        match kind {
            Kind::TrainingJob => s.jobs.keys().cloned().collect(),
            Kind::Model => s.models.keys().cloned().collect(),
            Kind::EndpointConfig => s.configs.keys().cloned().collect(),
            Kind::Endpoint => s.endpoints.keys().cloned().collect(),
        }
    }
}
