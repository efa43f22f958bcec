import { AuthService } from './auth.ts';
import type { ServiceDeps } from './deps.ts';
import { FriendsService } from './friends.ts';
import { GroupsService } from './groups.ts';
import { IceService } from './ice.ts';
import { ModerationService } from './moderation.ts';
import { OfflineService } from './offline.ts';
import { PresenceService } from './presence-service.ts';
import { RelayService } from './relay.ts';

export function createServices(deps: ServiceDeps) {
  const groups = new GroupsService(deps);
  const offline = new OfflineService(deps, groups);
  return {
    auth: new AuthService(deps),
    presence: new PresenceService(deps),
    friends: new FriendsService(deps),
    groups,
    offline,
    relay: new RelayService(deps),
    moderation: new ModerationService(deps, groups, offline),
    ice: new IceService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
