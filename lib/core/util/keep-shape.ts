const kept: object[] = [];

/**
 * Keep `instance` reachable for the rest of the process, so the object shape (V8 hidden class)
 * of its class survives a full garbage collection. V8 drops the shapes that no live object
 * uses and deoptimizes the code optimized for them: when every instance of a per-signal class
 * dies between two major GCs (one awaited persistent publish at a time), the code built on it
 * ran deoptimized for thousands of calls after each one. Call it from the class's constructor
 * once, behind a module flag (keeping an instance only at the end of its life did not keep
 * the shapes the constructor makes), and let the instance drop what it references once its
 * work is done, so it holds nothing large for good.
 * @internal
 */
export function keepShape(instance: object): void {
  kept.push(instance);
}
