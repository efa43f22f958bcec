import { AuthService } from './auth.ts';
import type { ServiceDeps } from './deps.ts';
import { FriendsService } from './friends.ts';
import { GroupsService } from './groups.ts';
import { IceService } from './ice.ts';
import { ModerationService } from './moderation.ts';
import { OfflineService } from './offline.ts';
import { ReceiptsService } from './receipts.ts';
import { PresenceService } from './presence-service.ts';
import { Relations } from './relations.ts';
import { RelayService } from './relay.ts';
import { RoomsService } from './rooms.ts';
import { Users } from './users.ts';

export function createServices(deps: ServiceDeps) {
  // One of each lookup for every service: the relay's prepared reach query is compiled here, once.
  const context = { ...deps, users: new Users(deps), relations: new Relations(deps) };
  const groups = new GroupsService(context);
  const receipts = new ReceiptsService(context);
  const offline = new OfflineService(context, groups, receipts);
  return {
    auth: new AuthService(context),
    presence: new PresenceService(context),
    friends: new FriendsService(context),
    groups,
    offline,
    receipts,
    relay: new RelayService(context),
    moderation: new ModerationService(context, groups, offline),
    ice: new IceService(context),
    rooms: new RoomsService(context, groups),
  };
}

export type Services = ReturnType<typeof createServices>;
