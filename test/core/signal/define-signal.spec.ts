import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Type } from 'class-transformer';
import { IsInt, IsString, Min, ValidateNested } from 'class-validator';
import {
  createSignal,
  defineSignal,
  SignalDataValidationError,
  SignalFactory,
  SignalValidationError,
  type StandardSchemaV1Like,
} from '../../../lib/index.js';

class LineDto {
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
}

class OrderDto {
  @IsString() orderId!: string;
  @IsInt() @Min(0) total!: number;
  @ValidateNested({ each: true }) @Type(() => LineDto) lines!: LineDto[];
}

function dataError(fn: () => unknown): SignalDataValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SignalDataValidationError);
    return error as SignalDataValidationError;
  }
  throw new Error('expected SignalDataValidationError');
}

describe('defineSignal', () => {
  it('without a schema creates typed signals of its type', () => {
    const Ping = defineSignal<'ping', { n: number }>({ type: 'ping', source: '/pinger' });
    const s = Ping.create({ n: 1 });
    expect(s.type).toBe('ping');
    expect(s.source).toBe('/pinger');
    expect(s.data.n).toBe(1);
    expect(Ping.is(s)).toBe(true);
    expect(Ping.is(createSignal('pong'))).toBe(false);
  });

  it('with a validate function: valid data passes, every issue is reported', () => {
    const UserCreated = defineSignal({
      type: 'user.created',
      schema: (d: unknown) => {
        const v = d as { name?: unknown; age?: unknown };
        const issues = [];
        if (typeof v?.name !== 'string') issues.push({ path: 'name', message: 'must be a string' });
        if (typeof v?.age !== 'number') issues.push({ path: 'age', message: 'must be a number' });
        return issues.length > 0 ? { issues } : { value: v as { name: string; age: number } };
      },
    });
    expect(UserCreated.create({ name: 'ann', age: 3 }).data).toEqual({ name: 'ann', age: 3 });
    const err = dataError(() => UserCreated.create({} as never));
    expect(err.code).toBe('invalid_data');
    expect(err.issues).toEqual([
      { path: 'name', message: 'must be a string' },
      { path: 'age', message: 'must be a number' },
    ]);
    expect(err.message).toContain('user.created');
    expect(err.message).toContain('name: must be a string');
  });

  it('a throwing validate function becomes one issue', () => {
    const D = defineSignal<'x', number>({
      type: 'x',
      schema: (d) => {
        if (typeof d !== 'number') throw new Error('numbers only');
        return { value: d };
      },
    });
    expect(dataError(() => D.create('a' as never)).issues).toEqual([
      { path: '', message: 'numbers only' },
    ]);
  });

  it('with a Standard Schema (zod/valibot style): transforms and reports paths', () => {
    const schema: StandardSchemaV1Like<{ qty: number }> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) => {
          const q = (value as { qty?: unknown })?.qty;
          if (typeof q === 'string' && /^\d+$/.test(q)) return { value: { qty: Number(q) } };
          if (typeof q === 'number') return { value: { qty: q } };
          return { issues: [{ message: 'expected a number', path: [{ key: 'qty' }] }] };
        },
      },
    };
    const Stock = defineSignal({ type: 'stock.changed', schema });
    expect(Stock.create({ qty: '5' } as never).data).toEqual({ qty: 5 });
    expect(dataError(() => Stock.create({} as never)).issues).toEqual([
      { path: 'qty', message: 'expected a number' },
    ]);
  });

  it('rejects asynchronous Standard Schemas with a clear error', () => {
    const asyncSchema: StandardSchemaV1Like<number> = {
      '~standard': { version: 1, vendor: 'test', validate: () => Promise.resolve({ value: 1 }) },
    };
    const D = defineSignal({ type: 'x', schema: asyncSchema });
    expect(() => D.create(1)).toThrow(/asynchronous/);
  });

  it('with a class-validator DTO: lists every failing field, nested ones included', () => {
    const OrderPlaced = defineSignal({ type: 'order.placed', schema: OrderDto });
    const ok = OrderPlaced.create({
      orderId: 'o-1',
      total: 10,
      lines: [{ sku: 'a', quantity: 1 }],
    });
    expect(ok.data).toBeInstanceOf(OrderDto);
    expect(ok.data.lines[0]).toBeInstanceOf(LineDto);
    const err = dataError(() =>
      OrderPlaced.create({
        orderId: 5,
        total: -1,
        lines: [{ sku: 'a', quantity: 0 }],
      } as unknown as OrderDto),
    );
    const paths = err.issues.map((i) => i.path).sort();
    expect(paths).toEqual(['lines.0.quantity', 'orderId', 'total']);
    expect(dataError(() => OrderPlaced.create('nope' as never)).issues[0].message).toContain(
      'OrderDto',
    );
  });

  it('parse() validates envelope, type and data of untrusted input', () => {
    const OrderPlaced = defineSignal({ type: 'order.placed', schema: OrderDto });
    const wire = JSON.parse(
      JSON.stringify(OrderPlaced.create({ orderId: 'o', total: 1, lines: [] })),
    ) as unknown;
    const parsed = OrderPlaced.parse(wire);
    expect(parsed.data).toBeInstanceOf(OrderDto);
    expect(() => OrderPlaced.parse(JSON.parse(JSON.stringify(createSignal('other', {}))))).toThrow(
      SignalValidationError,
    );
    const bad = { ...(wire as object), data: { orderId: 1 } };
    expect(dataError(() => OrderPlaced.parse(bad)).issues.length).toBeGreaterThanOrEqual(2);
  });

  it('uses the given factory and validates constant attributes at definition time', () => {
    const factory = new SignalFactory({ source: '/svc' });
    expect(defineSignal({ type: 'a', factory }).create(undefined).source).toBe('/svc');
    expect(() => defineSignal({ type: 'a', dataschema: 'not a uri' })).toThrow(
      SignalValidationError,
    );
    expect(() => defineSignal({ type: '' })).toThrow(SignalValidationError);
    expect(() => defineSignal({ type: 'a', schema: 42 as never })).toThrow(SignalValidationError);
  });
});
