import type { Job } from './job';

/**
 * The agent's running jobs: an intrusive doubly linked list (each job carries its links), because
 * adding and removing a job happens on every request while looking one up (cancel, forced drain)
 * is rare; a Set would hash every job on the hot path.
 */
export class JobList {
  private head: Job | undefined;

  add(job: Job): void {
    job.prevJob = undefined;
    job.nextJob = this.head;
    if (this.head) this.head.prevJob = job;
    this.head = job;
  }

  remove(job: Job): void {
    if (job.prevJob) job.prevJob.nextJob = job.nextJob;
    else if (this.head === job) this.head = job.nextJob;
    if (job.nextJob) job.nextJob.prevJob = job.prevJob;
    job.prevJob = job.nextJob = undefined;
  }

  *[Symbol.iterator](): IterableIterator<Job> {
    for (let j = this.head; j; j = j.nextJob) yield j;
  }
}
