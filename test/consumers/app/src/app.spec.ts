import { Test } from '@nestjs/testing';
import { JidoSignalTestingModule, SignalSpy } from 'nestjs-jido-signal/testing';
import { AppController } from './app.controller.js';
import { AppModule, SignalsModule } from './app.module.js';
import { MailerService } from './mailer.service.js';
import { OrdersConsumer } from './orders.consumer.js';
import { UsersListener } from './users.listener.js';

describe('the app on the installed nestjs-jido-signal', () => {
  it('delivers to the wildcard and the persistent handler, with the mailer overridden', async () => {
    const mailed: string[] = [];
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideModule(SignalsModule)
      .useModule(JidoSignalTestingModule.forRoot())
      .overrideProvider(MailerService)
      .useValue({ sent: mailed, send: (id: string) => Promise.resolve(void mailed.push(id)) })
      .compile();
    await moduleRef.init();
    try {
      const controller = moduleRef.get(AppController);
      const spy = moduleRef.get(SignalSpy);

      await controller.createUser('u-1');
      const order = spy.waitFor('order.placed', { subscriptionId: 'orders', timeout: 5_000 });
      await controller.placeOrder('o-1');
      await order;

      expect(moduleRef.get(UsersListener).seen).toEqual(['user.created']);
      expect(moduleRef.get(OrdersConsumer).handled).toEqual(['o-1']);
      expect(mailed).toEqual(['o-1']);
      expect(spy.published.map((s) => s.type)).toEqual(['user.created', 'order.placed']);
    } finally {
      await moduleRef.close();
    }
  });
});
