/**
 * A tiny ONNX protobuf encoder: just enough of ModelProto to write a model of
 * one node (x -> op -> y) in code, so no model files are shipped.
 * Field numbers are from onnx/onnx.proto.
 */

type Bytes = number[];

function varint(v: number | bigint): Bytes {
  let b = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  do {
    let byte = Number(b & 0x7fn);
    b >>= 7n;
    if (b) byte |= 0x80;
    out.push(byte);
  } while (b);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, v: number | bigint): Bytes => [...key(field, 0), ...varint(v)];
const bytes = (field: number, body: Bytes): Bytes => [
  ...key(field, 2),
  ...varint(body.length),
  ...body,
];
const str = (field: number, s: string): Bytes => bytes(field, [...new TextEncoder().encode(s)]);
function float(field: number, v: number): Bytes {
  const b = new Uint8Array(new Float32Array([v]).buffer);
  return [...key(field, 5), ...b];
}

export type Attr = { name: string; float?: number; int?: number; string?: string };

function attribute(a: Attr): Bytes {
  // AttributeProto: name 1, f 2, i 3, s 4, type 20 (FLOAT 1, INT 2, STRING 3)
  if (a.float !== undefined) return [...str(1, a.name), ...float(2, a.float), ...int(20, 1)];
  if (a.int !== undefined) return [...str(1, a.name), ...int(3, a.int), ...int(20, 2)];
  return [...str(1, a.name), ...str(4, a.string ?? ''), ...int(20, 3)];
}

function valueInfo(name: string, dims: number[]): Bytes {
  // ValueInfoProto { name 1, type 2: TypeProto { tensor_type 1: { elem_type 1 (FLOAT = 1), shape 2: { dim 1: { dim_value 1 } } } } }
  const shape = dims.flatMap((d) => bytes(1, int(1, d)));
  const tensor = [...int(1, 1), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensor))];
}

/** A float32 model y = opType(x) over `dims`, in the default domain at `opset`. */
export function oneNodeModel(
  opType: string,
  dims: number[],
  attrs: Attr[] = [],
  opset = 20,
): Uint8Array {
  // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
  const node = [
    ...str(1, 'x'),
    ...str(2, 'y'),
    ...str(3, opType),
    ...str(4, opType),
    ...attrs.flatMap((a) => bytes(5, attribute(a))),
  ];
  // GraphProto: node 1, name 2, input 11, output 12
  const graph = [
    ...bytes(1, node),
    ...str(2, `bench-${opType}`),
    ...bytes(11, valueInfo('x', dims)),
    ...bytes(12, valueInfo('y', dims)),
  ];
  // ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 { domain 1, version 2 }
  const model = [
    ...int(1, 9),
    ...str(2, 'webgpu-activations bench'),
    ...bytes(7, graph),
    ...bytes(8, int(2, opset)),
  ];
  return new Uint8Array(model);
}
