import {
  CreateChannelInput,
  CreateRuleInput,
  CreateSilenceInput,
  ListDeliveriesInput,
  NotificationIdInput,
  RetryDeliveryInput,
  UpdateChannelInput,
} from '@harborguard/shared';
import { auditorProcedure, operatorProcedure, router } from '../trpc.js';

/** Settings → Notifications: operators configure; auditors read (secrets masked everywhere). */
export const notificationsRouter = router({
  createChannel: operatorProcedure.input(CreateChannelInput).mutation(({ ctx, input }) => ctx.app.notifications.createChannel(ctx.user, input)),
  updateChannel: operatorProcedure.input(UpdateChannelInput).mutation(({ ctx, input }) => ctx.app.notifications.updateChannel(ctx.user, input)),
  deleteChannel: operatorProcedure.input(NotificationIdInput).mutation(({ ctx, input }) => ctx.app.notifications.deleteChannel(ctx.user, input.id)),
  listChannels: auditorProcedure.query(({ ctx }) => ctx.app.notifications.listChannels(ctx.user)),
  testChannel: operatorProcedure.input(NotificationIdInput).mutation(({ ctx, input }) => ctx.app.notifications.testChannel(ctx.user, input.id)),
  createRule: operatorProcedure.input(CreateRuleInput).mutation(({ ctx, input }) => ctx.app.notifications.createRule(ctx.user, input)),
  deleteRule: operatorProcedure.input(NotificationIdInput).mutation(({ ctx, input }) => ctx.app.notifications.deleteRule(ctx.user, input.id)),
  listRules: auditorProcedure.query(({ ctx }) => ctx.app.notifications.listRules(ctx.user)),
  createSilence: operatorProcedure.input(CreateSilenceInput).mutation(({ ctx, input }) => ctx.app.notifications.createSilence(ctx.user, input)),
  deleteSilence: operatorProcedure.input(NotificationIdInput).mutation(({ ctx, input }) => ctx.app.notifications.deleteSilence(ctx.user, input.id)),
  listSilences: auditorProcedure.query(({ ctx }) => ctx.app.notifications.listSilences(ctx.user)),
  deliveries: auditorProcedure.input(ListDeliveriesInput).query(({ ctx, input }) => ctx.app.notifications.deliveries(ctx.user, input)),
  retry: operatorProcedure.input(RetryDeliveryInput).mutation(({ ctx, input }) => ctx.app.notifications.retry(ctx.user, input.deliveryId)),
});
