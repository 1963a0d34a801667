// Applies one app's conf the way `supervisorctl update <group>` would, for that group only: other apps keep their PIDs.
import type { SupervisorClient } from '../supervisor/client.ts';
import { isFault } from '../supervisor/faults.ts';

export type GroupChange = 'added' | 'changed' | 'removed' | 'unchanged';

export async function applyGroup(client: SupervisorClient, group: string): Promise<GroupChange> {
  const { added, changed, removed } = await client.reloadConfig();
  if (added.includes(group)) {
    await addGroup(client, group);
    return 'added';
  }
  if (changed.includes(group)) {
    await client.stopProcessGroup(group, true);
    await client.removeProcessGroup(group);
    await addGroup(client, group);
    return 'changed';
  }
  if (removed.includes(group)) {
    await client.stopProcessGroup(group, true);
    await client.removeProcessGroup(group);
    return 'removed';
  }
  return 'unchanged';
}

async function addGroup(client: SupervisorClient, group: string): Promise<void> {
  try {
    await client.addProcessGroup(group);
  } catch (error) {
    if (!isFault(error, 'ALREADY_ADDED')) throw error;
  }
}
