/** Errors of schedulers sharing a store. */
import { HorariumError } from '../../errors.ts';

/** Another live scheduler uses this scheduler's `cluster.nodeId` on the same store. */
export class NodeIdInUseError extends HorariumError {
  override name = 'NodeIdInUseError';
  readonly nodeId: string;
  readonly jobstore: string;
  constructor(nodeId: string, jobstore: string, holder: string) {
    super(
      `Node id "${nodeId}" is in use on job store "${jobstore}" by a live scheduler (${holder}); give each scheduler its own cluster.nodeId, or leave it unset for a generated one`,
    );
    this.nodeId = nodeId;
    this.jobstore = jobstore;
  }
}
