// OpenTelemetry for the sample: with OTEL_TRACES_EXPORTER=console, every span (publish,
// process, the webhook's HTTP client span) is printed to the console as it ends. Any other
// value, or none, leaves OpenTelemetry off — the library then costs nothing.
// The SDK packages are devDependencies of this repository; in an app, use
// @opentelemetry/sdk-node (which reads OTEL_TRACES_EXPORTER itself) the same way: start it
// before Nest creates the application.

/** Starts console tracing when asked to; resolves with a shutdown function (or undefined). */
export async function startTracing(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.OTEL_TRACES_EXPORTER !== 'console') return undefined;
  const { context, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } =
    await import('@opentelemetry/sdk-trace-base');
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return () => provider.shutdown();
}
