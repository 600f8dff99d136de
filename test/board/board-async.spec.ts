import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JidoSignalModule } from '../../lib/index.js';
import { JidoSignalBoardModule, SignalBoardError } from '../../lib/board/index.js';

@Injectable()
class BoardSettings {
  readonly readOnly = true;
}

@Module({ providers: [BoardSettings], exports: [BoardSettings] })
class SettingsModule {}

describe('JidoSignalBoardModule.forRootAsync', () => {
  it('takes the options from a factory with injected dependencies', async () => {
    @Module({
      imports: [
        JidoSignalModule.forRoot(),
        JidoSignalBoardModule.forRootAsync({
          path: '/ops/board',
          imports: [SettingsModule],
          inject: [BoardSettings],
          useFactory: async (settings: BoardSettings) => ({
            allowUnauthenticated: true,
            readOnly: settings.readOnly,
          }),
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    try {
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const res = await fetch(`${url}/ops/board/api/overview`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { readOnly: boolean }).readOnly).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('does not start without an access decision', async () => {
    @Module({
      imports: [
        JidoSignalModule.forRoot(),
        JidoSignalBoardModule.forRootAsync({ useFactory: () => ({ readOnly: true }) }),
      ],
    })
    class AppModule {}
    await expect(
      NestFactory.create(AppModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(SignalBoardError);
  });

  it('checks the path when registered', () => {
    expect(() =>
      JidoSignalBoardModule.forRootAsync({
        path: 'a b',
        useFactory: () => ({ allowUnauthenticated: true }),
      }),
    ).toThrow(/"path"/);
  });
});
