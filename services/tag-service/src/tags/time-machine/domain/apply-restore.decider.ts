import type { CommandBase } from '../../domain/catalog-guards';
import type { TagCatalogEvent } from '../../domain/tag-catalog.events';
import { TagError } from '../../domain/tag.errors';

export type ApplyRestoreCommand = {
  type: 'ApplyRestore';
  data: CommandBase & { events: TagCatalogEvent[]; unpurged: string[]; mayUnpurge: boolean };
};

/** Planned by the time machine (domain/time-machine.ts) against this state; only the purge rule is left. */
export function decideApplyRestore(command: ApplyRestoreCommand): TagCatalogEvent[] {
  if (command.data.unpurged.length > 0 && !command.data.mayUnpurge)
    throw new TagError(
      'TAG.PERMISSION_DENIED',
      `bringing back purged tags (${command.data.unpurged.join(', ')}) needs the tag_recovery role`,
      'root_id',
    );
  return command.data.events;
}
