/**
 * The document `exportJobs` writes and `importJobs` reads: the jobs' stored
 * documents in a versioned envelope, so that jobs move between stores and
 * between Horarium versions.
 */
import { InvalidJobOptionError } from '../jobs/errors.ts';
import type { Job } from '../jobs/job.ts';
import { type JobDocument, jobToDocument } from '../jobs/serialization.ts';

/** The document `exportJobs` writes and `importJobs` reads. */
export interface JobsExport {
  version: number;
  horariumVersion: string;
  jobs: JobDocument[];
}

const EXPORT_VERSION = 1;
const HORARIUM_VERSION = '0.1.0';

/** The export document of `jobs`, as indented JSON text. @throws SerializationError for a job without a textual reference */
export function writeJobsExport(jobs: readonly Job[]): string {
  const document: JobsExport = {
    version: EXPORT_VERSION,
    horariumVersion: HORARIUM_VERSION,
    jobs: jobs.map((job) => jobToDocument(job)),
  };
  return JSON.stringify(document, null, 2);
}

/**
 * The job documents of an export (JSON text or the parsed object), unchecked:
 * each is read like a stored job.
 * @throws InvalidJobOptionError when the document is not an export this Horarium reads
 */
export function readJobsExport(document: string | JobsExport): unknown[] {
  let parsed: unknown = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document);
    } catch (error) {
      throw new InvalidJobOptionError(
        'document',
        `The import document is not JSON (${error instanceof Error ? error.message : String(error)}): pass the text exportJobs wrote, or its parsed object`,
        { cause: error },
      );
    }
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !Array.isArray((parsed as JobsExport).jobs)
  ) {
    throw new InvalidJobOptionError(
      'document',
      'An import document must be an object with a "jobs" array',
    );
  }
  const { version, jobs } = parsed as JobsExport;
  if (version !== EXPORT_VERSION) {
    throw new InvalidJobOptionError(
      'document',
      `Unsupported export document version ${String(version)} (this Horarium reads version ${EXPORT_VERSION})`,
    );
  }
  return jobs;
}
