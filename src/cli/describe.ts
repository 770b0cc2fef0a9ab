/**
 * How headers are shown: one JSON object per header for `inspect --json`, and one text line
 * per header for `inspect --headers`. Field names are the spec's (snake_case), the header
 * type as upstream spells it without the `IGVM_VHT_` prefix.
 */
import {
  PageDataFlags,
  VariableHeaderType,
  decodeSevFeatures,
  decodeSevVmsa,
  decodeSnpPolicy,
  decodeTdxPolicy,
  vbsRegisterName,
  type IgvmFile,
  type IgvmHeader,
  type SupportedPlatformHeader,
  type VbsRegisterValue,
  type VpContextPayload,
} from '../format/index.js';
import { toJson, u64Json, type Json } from './json.js';
import { bytesToHex, hexNumber } from '../format/bytes.js';

function typeValue(h: IgvmHeader): number {
  return h.kind === 'OPTIONAL_UNKNOWN' ? h.type : VariableHeaderType[h.kind];
}

/** The platform types a mask names, for policy decoding. */
function platformTypesOf(file: IgvmFile, mask: number): Set<SupportedPlatformHeader['platformType']> {
  return new Set(file.platforms.filter((p) => (p.compatibilityMask & mask) !== 0).map((p) => p.platformType));
}

function registerValueJson(v: VbsRegisterValue): Json {
  switch (v.kind) {
    case 'u64':
      return u64Json(v.value);
    case 'segment':
      return { base: u64Json(v.base), limit: v.limit, selector: v.selector, attributes: v.attributes };
    case 'table':
      return { base: u64Json(v.base), limit: v.limit };
  }
}

function payloadJson(p: VpContextPayload): Json {
  switch (p.format) {
    case 'sev-vmsa': {
      const v = decodeSevVmsa(p.vmsa);
      // The whole VMSA is 4 KiB of mostly zeros; show the fields a reader looks for.
      return {
        format: p.format,
        rip: u64Json(v.rip),
        rsp: u64Json(v.rsp),
        cr0: u64Json(v.cr0),
        cr3: u64Json(v.cr3),
        cr4: u64Json(v.cr4),
        efer: u64Json(v.efer),
        vmpl: v.vmpl,
        sev_features: u64Json(v.sevFeatures),
        sev_features_decoded: toJson(decodeSevFeatures(v.sevFeatures)),
        cs: toJson(v.cs),
      };
    }
    case 'native-x64':
      return { format: p.format, context: toJson(p.context) };
    case 'cca':
      return { format: p.format, context: toJson(p.context) };
    case 'vbs':
      return {
        format: p.format,
        architecture: p.architecture,
        vtl: p.registers[0]?.vtl ?? null,
        registers: p.registers.map((r) => ({
          vtl: r.vtl,
          name: vbsRegisterName(p.architecture, r.name),
          name_value: r.name,
          value: registerValueJson(r.value),
        })),
      };
  }
}

/** One header as JSON (`inspect --json`). */
export function headerJson(file: IgvmFile, h: IgvmHeader): Json {
  const base: { [k: string]: Json } = {
    index: h.index ?? null,
    offset: h.offset ?? null,
    type: h.kind,
    type_value: typeValue(h),
  };
  switch (h.kind) {
    case 'PAGE_DATA': {
      const { data, ...rest } = h;
      return {
        ...base,
        ...strip(rest),
        data_length: data.length,
        flags_decoded: {
          is_2mb_page: (h.flags & PageDataFlags.IS_2MB_PAGE) !== 0,
          unmeasured: (h.flags & PageDataFlags.UNMEASURED) !== 0,
          shared: (h.flags & PageDataFlags.SHARED) !== 0,
        },
      };
    }
    case 'PARAMETER_AREA':
    case 'CORIM_DOCUMENT':
    case 'CORIM_SIGNATURE': {
      const { data, ...rest } = h;
      return { ...base, ...strip(rest), data_length: data.length };
    }
    case 'VP_CONTEXT': {
      const { payload, ...rest } = h;
      return { ...base, ...strip(rest), payload: payloadJson(payload) };
    }
    case 'GUEST_POLICY': {
      const types = platformTypesOf(file, h.compatibilityMask);
      const out: { [k: string]: Json } = { ...base, ...strip(h) };
      if (types.has('SEV_SNP')) out.snp_policy = toJson(decodeSnpPolicy(h.policy));
      if (types.has('TDX')) out.tdx_policy = toJson(decodeTdxPolicy(h.policy));
      return out;
    }
    case 'OPTIONAL_UNKNOWN':
      return { ...base, payload: bytesToHex(h.payload) };
    default:
      return { ...base, ...strip(h) };
  }
}

/** The header's own fields as JSON, without kind and location (shown separately). */
function strip(h: object): { [k: string]: Json } {
  const { kind: _k, index: _i, offset: _o, ...rest } = h as { kind?: unknown; index?: unknown; offset?: unknown };
  return toJson(rest) as { [k: string]: Json };
}

/** One header as a line of text (`inspect --headers`). */
export function headerLine(h: IgvmHeader): string {
  const where = `${String(h.index ?? '-').padStart(5)}  ${h.offset === undefined ? '-'.padStart(10) : hexNumber(h.offset).padStart(10)}  `;
  const kind = h.kind.padEnd(28);
  return `${where}${kind}${headerSummary(h)}`;
}

function headerSummary(h: IgvmHeader): string {
  const mask = 'compatibilityMask' in h ? `mask ${hexNumber(h.compatibilityMask)}` : '';
  switch (h.kind) {
    case 'SUPPORTED_PLATFORM':
      return `${mask} ${h.platformType} vtl ${h.highestVtl} version ${h.platformVersion} shared_gpa_boundary ${hexNumber(h.sharedGpaBoundary)}`;
    case 'GUEST_POLICY':
      return `${mask} policy ${hexNumber(h.policy)}`;
    case 'PAGE_DATA': {
      const flags: string[] = [];
      if (h.flags & PageDataFlags.IS_2MB_PAGE) flags.push('2mb');
      if (h.flags & PageDataFlags.UNMEASURED) flags.push('unmeasured');
      if (h.flags & PageDataFlags.SHARED) flags.push('shared');
      const data = h.data.length === 0 ? 'zero' : `data @${hexNumber(h.fileOffset)}`;
      return `${mask} gpa ${hexNumber(h.gpa)} ${h.dataType} ${data}${flags.length ? ` [${flags.join(',')}]` : ''}`;
    }
    case 'PARAMETER_AREA':
      return `index ${h.parameterAreaIndex} ${hexNumber(h.numberOfBytes)} bytes${h.data.length ? ` data @${hexNumber(h.fileOffset)}` : ''}`;
    case 'PARAMETER_INSERT':
      return `${mask} gpa ${hexNumber(h.gpa)} index ${h.parameterAreaIndex}`;
    case 'VP_CONTEXT': {
      const p = h.payload;
      const detail =
        p.format === 'vbs'
          ? `${p.registers.length} registers, VTL ${p.registers[0]?.vtl ?? '?'}`
          : p.format === 'sev-vmsa'
            ? `gpa ${hexNumber(h.gpa)}`
            : '';
      return `${mask} vp ${h.vpIndex} ${p.format} ${detail}`.trimEnd();
    }
    case 'REQUIRED_MEMORY':
      return `${mask} gpa ${hexNumber(h.gpa)} ${hexNumber(h.numberOfBytes)} bytes${h.flags & 1 ? ' vtl2_protectable' : ''}`;
    case 'RELOCATABLE_REGION':
      return `${mask} gpa ${hexNumber(h.relocationRegionGpa)} size ${hexNumber(h.relocationRegionSize)} align ${hexNumber(h.relocationAlignment)} vp ${h.vpIndex} vtl ${h.vtl}`;
    case 'PAGE_TABLE_RELOCATION_REGION':
      return `${mask} gpa ${hexNumber(h.gpa)} size ${hexNumber(h.size)} used ${hexNumber(h.usedSize)} vp ${h.vpIndex} vtl ${h.vtl}`;
    case 'CORIM_DOCUMENT':
    case 'CORIM_SIGNATURE':
      return `${mask} ${h.data.length} bytes @${hexNumber(h.fileOffset)}`;
    case 'CCA_POLICY':
      return `${mask} zeroes ${hexNumber(h.attributesRequiredZeroes)} ones ${hexNumber(h.attributesRequiredOnes)} hash ${h.hashAlgorithm} lfa ${h.lfaPolicy}`;
    case 'SNP_ID_BLOCK':
      return `${mask} ld ${bytesToHex(h.ld)} svn ${h.guestSvn}`;
    case 'VBS_MEASUREMENT':
      return `${mask} version ${h.version} product ${h.productId} module ${h.moduleId} svn ${h.securityVersion}`;
    case 'ERROR_RANGE':
      return `${mask} gpa ${hexNumber(h.gpa)} ${hexNumber(h.sizeBytes)} bytes`;
    case 'OPTIONAL_UNKNOWN':
      return `type ${hexNumber(h.type)} ${h.payload.length} bytes`;
    default:
      return `index ${h.parameterAreaIndex} byte_offset ${hexNumber(h.byteOffset)}`;
  }
}
