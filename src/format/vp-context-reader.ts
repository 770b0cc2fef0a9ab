/**
 * Reading a VP_CONTEXT header's payload from the file data section (spec/igvm-format.md §8):
 * the platform header whose mask equals the context's mask chooses the format (§8.1), then
 * the SEV VMSA (§8.2), the native x64 (§8.3) or CCA (§8.5) blob, or the VBS register list
 * (§8.4) is read with upstream's checks in upstream's order.
 */
import { PAGE_SIZE_4K, type IgvmArchitecture } from './constants.js';
import { hexNumber } from './bytes.js';
import type { FileDataSection } from './file-data-reader.js';
import { HEADER_LAYOUTS } from './header-layouts.js';
import { asHeaderProblem, problem } from './header-problem.js';
import { decodeCcaContext, decodeNativeX64Context } from './native-context.js';
import { readStruct } from './struct.js';
import type { SupportedPlatformHeader, VpContextPayload } from './types.js';
import {
  AARCH64_VBS_REGISTERS,
  VBS_REGISTER_RECORD,
  X64_VBS_REGISTERS,
  decodeVbsRegisterValue,
  type VbsRegister,
} from './vbs-registers.js';

const VP_CONTEXT_FIELDS = HEADER_LAYOUTS.VP_CONTEXT.fields;
/** Problems with the context data are located at the header's `file_offset` field. */
const FILE_OFFSET_FIELD = VP_CONTEXT_FIELDS.fileOffset.offset;

/** What the VP context reader needs of the file around the header. */
export interface VpContextInput {
  /** The file's platform headers, all read before any directive (§3.3). */
  readonly platforms: readonly SupportedPlatformHeader[];
  readonly data: FileDataSection;
  readonly architecture: IgvmArchitecture;
  readonly strict: boolean;
}

/** The VP_CONTEXT fields the payload depends on. */
export interface VpContextFields {
  readonly gpa: bigint;
  readonly compatibilityMask: number;
  readonly fileOffset: number;
  readonly vpIndex: number;
}

/**
 * The payload format is chosen by the platform header whose mask equals the context's mask
 * exactly, among all platform headers (§8.1); the first such header wins, as upstream
 * searches in order.
 */
export function readVpContextPayload(raw: VpContextFields, input: VpContextInput): VpContextPayload {
  const platform = input.platforms.find((p) => p.compatibilityMask === raw.compatibilityMask);
  const fo = FILE_OFFSET_FIELD;
  switch (platform?.platformType) {
    case 'SEV_SNP':
    case 'SEV_ES': {
      const vmsa = input.data.extract4k(raw.fileOffset, fo);
      // Upstream checks the VMSA GPA's alignment (§10.2 UnalignedAddress, "SNP only").
      if (raw.gpa % BigInt(PAGE_SIZE_4K) !== 0n) {
        problem('UnalignedAddress', `VMSA gpa ${hexNumber(raw.gpa)} is not 4 KiB aligned`, 0);
      }
      return { format: 'sev-vmsa', vmsa };
    }
    case 'NATIVE':
    case 'SEV':
      return { format: 'native-x64', context: asHeaderProblem(() => decodeNativeX64Context(input.data.extract4k(raw.fileOffset, fo)), fo) };
    case 'CCA':
      return { format: 'cca', context: asHeaderProblem(() => decodeCcaContext(input.data.extract4k(raw.fileOffset, fo)), fo) };
    case 'VSM_ISOLATION':
      return readVbsContext(raw.fileOffset, raw.vpIndex, input);
    default:
      return problem(
        'InvalidVpContextPlatformType',
        platform === undefined
          ? `compatibility mask ${hexNumber(raw.compatibilityMask)} is not exactly one platform header's mask`
          : `${platform.platformType} platforms have no VP context`,
        VP_CONTEXT_FIELDS.compatibilityMask.offset,
      );
  }
}

/** The VBS register list (§8.4); its count is checked against the real data size first. */
function readVbsContext(fileOffset: number, vpIndex: number, input: VpContextInput): VpContextPayload {
  const fo = FILE_OFFSET_FIELD;
  const countBytes = input.data.extract(fileOffset, 4, fo, true).bytes();
  const count = new DataView(countBytes.buffer, countBytes.byteOffset, 4).getUint32(0, true);
  if (count === 0) problem('NoVbsVpContextRegisters', 'the VBS register list is empty', fo);
  const list = input.data.extract(fileOffset + 4, count * VBS_REGISTER_RECORD.size, fo, true).bytes();
  // Upstream asserts vp_index == 0 (a panic); we report it (§10.5).
  if (vpIndex !== 0) problem('InvalidContext', `a VBS VP context must have vp_index 0, not ${vpIndex}`, VP_CONTEXT_FIELDS.vpIndex.offset);
  const arch = input.architecture;
  const accepted = arch === 'x64' ? X64_VBS_REGISTERS : AARCH64_VBS_REGISTERS;
  const registers: VbsRegister[] = [];
  for (let i = 0; i < count; i++) {
    const rec = readStruct(list, i * VBS_REGISTER_RECORD.size, VBS_REGISTER_RECORD);
    if (rec.vtl > 2) problem('InvalidVtl', `register ${i} has VTL ${rec.vtl}`, fo);
    // Upstream asserts that every register has the first one's VTL (a panic, §10.5).
    if (registers.length > 0 && rec.vtl !== registers[0]!.vtl) {
      problem('InvalidVtl', `register ${i} has VTL ${rec.vtl}, register 0 has VTL ${registers[0]!.vtl}`, fo);
    }
    const known = accepted.get(rec.registerName);
    if (known === undefined) {
      problem(
        arch === 'x64' ? 'UnsupportedX64Register' : 'UnsupportedAArch64Register',
        `register ${i}: name ${hexNumber(rec.registerName, 8)} is not accepted in a VBS VP context`,
        fo,
      );
    }
    if (input.strict && rec.mbz.some((b) => b !== 0)) problem('StrictReservedBits', `register ${i} has non-zero mbz bytes`, fo);
    registers.push({ vtl: rec.vtl, name: rec.registerName, value: decodeVbsRegisterValue(known.kind, rec.registerValue) });
  }
  return { format: 'vbs', architecture: arch, registers };
}
