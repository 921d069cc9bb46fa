import {
  CreateTagsCommand,
  DescribeImportSnapshotTasksCommand,
  DescribeSnapshotsCommand,
  ImportSnapshotCommand,
  type ImportSnapshotTask,
} from '@aws-sdk/client-ec2';
import { OsimageError } from '../../../pipeline/errors.js';
import { resumable } from '../../../pipeline/journal.js';
import { callOptions, type AwsStep } from './aws-step.js';
import { clientToken, importDescription, importObjectKey, UID_TAG } from './names.js';
import { pollUntil } from './poll.js';
import { uploadImportObject } from './upload-object.js';

const FAILED = new Set(['deleting', 'deleted', 'error']);
/** Import task history is paged; a few pages cover the seven days EC2 keeps it. */
const MAX_TASK_PAGES = 20;

/**
 * The image as an EBS snapshot in the import region: an existing snapshot tagged with our uid, else the snapshot
 * of an import task an earlier run started, else a new upload and import.
 */
export async function importSnapshot(step: AwsStep): Promise<string> {
  const { ctx } = step;
  const unit = await resumable<{ snapshotId: string }>(ctx.journal, 'snapshot', {
    confirm: async ({ snapshotId }) => (await describeSnapshots(step, { SnapshotIds: [snapshotId] })).length > 0,
    find: async () => {
      const [snapshot] = await describeSnapshots(step, {
        OwnerIds: ['self'],
        Filters: [{ Name: `tag:${UID_TAG}`, Values: [ctx.uid] }],
      });
      return snapshot ? { snapshotId: snapshot } : undefined;
    },
    create: async () => {
      const taskId = await startImport(step);
      const snapshotId = await waitForImport(step, taskId);
      await step.clients
        .ec2(step.config.import.region)
        .send(new CreateTagsCommand({ Resources: [snapshotId], Tags: step.tags }), callOptions(step));
      await deleteImportObject(step);
      return { snapshotId };
    },
  });
  return unit.snapshotId;
}

/** The import task: one an earlier run started (still running or done), or a new one after uploading the image. */
async function startImport(step: AwsStep): Promise<string> {
  const { ctx, config } = step;
  const description = importDescription(config, importObjectKey(config, ctx.uid, ctx.csp));
  const ourTasks = async () => (await describeTasks(step)).filter((task) => task.Description === description);
  return resumable<string>(ctx.journal, 'import-task', {
    confirm: async (taskId) => {
      const [task] = await describeTasks(step, [taskId]);
      return task !== undefined && !hasFailed(task);
    },
    find: async () => (await ourTasks()).find((task) => !hasFailed(task))?.ImportTaskId,
    create: async () => {
      const object = await uploadImportObject(step);
      // The token names the attempt: a retried call returns the task it started, a run after a failed task starts anew.
      const attempt = (await ourTasks()).filter(hasFailed).length;
      const result = await step.clients.ec2(config.import.region).send(
        new ImportSnapshotCommand({
          Description: description,
          DiskContainer: {
            Description: description,
            Format: config.import.format === 'vmdk' ? 'VMDK' : 'RAW',
            UserBucket: { S3Bucket: config.import.bucket, S3Key: object.key },
          },
          RoleName: config.import.roleName,
          ClientToken: clientToken('import-snapshot', config.import.bucket, object.key, String(object.size), String(attempt)),
          TagSpecifications: [{ ResourceType: 'import-snapshot-task', Tags: step.tags }],
        }),
        callOptions(step),
      );
      ctx.log.info({ importTaskId: result.ImportTaskId }, 'started the snapshot import');
      return result.ImportTaskId!;
    },
  });
}

/** Polls the task until it completes; deleted, deleting and error end the wait with EC2's reason. */
async function waitForImport(step: AwsStep, taskId: string): Promise<string> {
  const log = step.ctx.log.child({ importTaskId: taskId });
  let last = '';
  return pollUntil(
    step,
    { what: `the snapshot import ${taskId}`, timeoutMinutes: step.config.timeouts.importMinutes, timeoutKey: 'aws.timeouts.importMinutes' },
    async () => {
      const [task] = await describeTasks(step, [taskId]);
      const detail = task?.SnapshotTaskDetail;
      const status = detail?.Status ?? 'unknown';
      if (FAILED.has(status)) {
        throw new OsimageError(
          `the snapshot import ${taskId} ended ${status}: ${detail?.StatusMessage ?? 'EC2 gave no reason'}`,
          `EC2 reads the raw image from s3://${step.config.import.bucket} through the service role ` +
            `"${step.config.import.roleName}" (aws.import.roleName): check that the role exists, trusts ` +
            'vmie.amazonaws.com and may read the bucket (see "VM Import/Export required service role" in the AWS docs)',
        );
      }
      const progress = `${status} ${detail?.StatusMessage ?? ''} ${detail?.Progress ?? ''}`.trim();
      if (progress !== last) log.info({ status, message: detail?.StatusMessage, progress: detail?.Progress }, 'importing the snapshot');
      last = progress;
      return status === 'completed' ? detail?.SnapshotId : undefined;
    },
  );
}

function hasFailed(task: ImportSnapshotTask): boolean {
  return FAILED.has(task.SnapshotTaskDetail?.Status ?? '');
}

async function deleteImportObject(step: AwsStep): Promise<void> {
  if (!step.config.import.deleteUploadedObject) return;
  const key = importObjectKey(step.config, step.ctx.uid, step.ctx.csp);
  try {
    await step.clients.importStore.delete(key);
    await step.ctx.journal.forget('import-object');
  } catch (error) {
    // The snapshot exists; a left-over object only costs storage, so it must not fail the run.
    step.ctx.log.warn({ err: error, key }, 'could not delete the uploaded raw image; delete it by hand');
  }
}

async function describeTasks(step: AwsStep, ids?: string[]): Promise<ImportSnapshotTask[]> {
  const client = step.clients.ec2(step.config.import.region);
  const tasks: ImportSnapshotTask[] = [];
  let NextToken: string | undefined;
  for (let page = 0; page < MAX_TASK_PAGES; page++) {
    const result = await client.send(new DescribeImportSnapshotTasksCommand({ ImportTaskIds: ids, NextToken }), callOptions(step));
    tasks.push(...(result.ImportSnapshotTasks ?? []));
    NextToken = result.NextToken;
    if (!NextToken) break;
  }
  return tasks;
}

async function describeSnapshots(
  step: AwsStep,
  query: { SnapshotIds?: string[]; OwnerIds?: string[]; Filters?: { Name: string; Values: string[] }[] },
): Promise<string[]> {
  try {
    const result = await step.clients
      .ec2(step.config.import.region)
      .send(new DescribeSnapshotsCommand(query), callOptions(step));
    return (result.Snapshots ?? []).filter((snapshot) => snapshot.State !== 'error').map((snapshot) => snapshot.SnapshotId!);
  } catch (error) {
    if ((error as Error).name === 'InvalidSnapshot.NotFound') return [];
    throw error;
  }
}
