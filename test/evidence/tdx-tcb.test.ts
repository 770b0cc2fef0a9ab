/**
 * The TDX TCB status (src/evidence/tdx-tcb.ts): TCB-level matching, the TDX module identity and
 * the convergence of platform, module and QE statuses (spec/tdx.md §4.5).
 *
 * Every expected status comes from outside this project:
 *
 *  - Intel's QVL, intel/SGX-TDX-DCAP-QuoteVerificationLibrary at commit 139705ae:
 *    `Src/AttestationLibrary/src/Verifiers/Checks/TcbLevelCheck.cpp` (`matchTcbLevels`,
 *    `isTdxTcbHigherOrEqual`, `convergeTcbStatusWithQeTcbStatus`, `checkTcbLevel`),
 *    `Checks/TdxModuleCheck.cpp` (`checkTdxModuleTcbStatus`, `convergeTcbStatusWithTdxModuleStatus`)
 *    and the parameter table of its unit test `test/UnitTests/QuoteVerifierTcbStatusUT.cpp` with
 *    `QuoteVerifierTcbStatusHelpers.h` (two levels "latest" = every SVN 0xF0, PCESVN 10, and
 *    "earliest" = every SVN 0, PCESVN 5; module identities TDX_F0 and TDX_00 with one level at
 *    ISVSVN 0). That test runs TDX 1.5 quotes, so its TD-relaunch rows (TDX 1.5 only, QVL
 *    `TDRelaunchCheck.cpp`) are left out; every other row gives the same status for a TDX 1.0
 *    body, because `checkForRelaunch` either returns a relaunch status or leaves it unchanged.
 *  - Phala-Network/dcap-qvl `tests/verify_quote.rs` (`could_parse_tdx_quote`): its sample quote
 *    with its own collateral is "UpToDate" with no advisory IDs.
 *
 * tdx.md §4.5 step 2 ("require TEE_TCB_SVN[1] to equal the level's component [1]") contradicts
 * QVL's `isTdxTcbHigherOrEqual`, which skips bytes 0 and 1 when TEE_TCB_SVN[1] > 0; the code and
 * these tests follow QVL. QE statuses are passed as the QE identity's level status (QVL
 * STATUS_OK ↔ "UpToDate", ISVSVN_OUT_OF_DATE ↔ "OutOfDate", ISVSVN_REVOKED ↔ "Revoked").
 */
import { describe, expect, it } from 'vitest';
import { parseCertificate, readPckExtensions } from '../../src/evidence/intel-chain.js';
import {
  parseCollateral,
  type IsvSvnTcbLevel,
  type TdxModuleIdentity,
  type TdxTcbInfo,
  type TdxTcbLevel,
} from '../../src/evidence/tdx-collateral.js';
import { loadTdxEvidence } from '../../src/evidence/tdx-input.js';
import { converge, evaluateTcb, type TcbBody, type TcbPck } from '../../src/evidence/tdx-tcb.js';
import { verifyTdxEvidence } from '../../src/evidence/tdx-verify.js';
import { HAVE_SHARED, sharedBytes, sharedJson } from '../helpers/shared.js';

// ---- builders (inputs, not expectations) ---------------------------------------------------------

const UTD = 'UpToDate';
const OOD = 'OutOfDate';
const RKD = 'Revoked';
const SHN = 'SWHardeningNeeded';
const CN = 'ConfigurationNeeded';
const CN_SHN = 'ConfigurationAndSWHardeningNeeded';
const OOD_CN = 'OutOfDateConfigurationNeeded';

const FMSPC = Uint8Array.of(0x00, 0x80, 0x6f, 0x05, 0x00, 0x00);
const PCE_ID = Uint8Array.of(0, 0);
const ZERO_SIGNER = new Uint8Array(48);

const svns = (v: number | readonly number[]): number[] => (typeof v === 'number' ? Array<number>(16).fill(v) : [...v]);

function level(
  sgx: number | readonly number[],
  pceSvn: number,
  tdx: number | readonly number[],
  tcbStatus: string,
  advisoryIds: string[] = [],
): TdxTcbLevel {
  return {
    sgxTcbComponents: svns(sgx).map((svn) => ({ svn })),
    pceSvn,
    tdxTcbComponents: svns(tdx).map((svn) => ({ svn })),
    tcbDate: '2024-01-01T00:00:00Z',
    tcbStatus,
    advisoryIds,
  };
}

function moduleIdentity(id: string, levels: ReadonlyArray<readonly [number, string]>): TdxModuleIdentity {
  const tcbLevels: IsvSvnTcbLevel[] = levels.map(([isvSvn, tcbStatus]) => ({
    isvSvn,
    tcbStatus,
    tcbDate: '2024-01-01T00:00:00Z',
    advisoryIds: [],
  }));
  return { id, mrSigner: ZERO_SIGNER, attributes: new Uint8Array(8), attributesMask: new Uint8Array(8).fill(0xff), tcbLevels };
}

function tcbInfo(tcbLevels: TdxTcbLevel[], tdxModuleIdentities: TdxModuleIdentity[] = []): TdxTcbInfo {
  return {
    id: 'TDX',
    version: 3,
    issueDate: new Date('2024-01-01T00:00:00Z'),
    nextUpdate: new Date('2024-02-01T00:00:00Z'),
    fmspc: FMSPC,
    pceId: PCE_ID,
    tcbType: 0,
    // Every TDX TCB info names its module (QVL TcbInfo.cpp parsePartV3 requires `tdxModule`).
    tdxModule: { id: undefined, mrSigner: ZERO_SIGNER, attributes: new Uint8Array(8), attributesMask: new Uint8Array(8).fill(0xff), tcbLevels: [] },
    tdxModuleIdentities,
    tcbLevels,
  };
}

const body = (teeTcbSvn: number | readonly number[]): TcbBody => ({
  teeTcbSvn: Uint8Array.from(svns(teeTcbSvn)),
  mrSignerSeam: ZERO_SIGNER,
  seamAttributes: 0n,
});

const pck = (sgx: number | readonly number[], pceSvn: number): TcbPck => ({
  fmspc: FMSPC,
  pceId: PCE_ID,
  sgxTcbComponentSvns: svns(sgx),
  pceSvn,
});

// ---- QVL's unit-test table -------------------------------------------------------------------

/** QuoteVerifierTcbStatusHelpers.h: latest = 0xF0 everywhere, PCESVN 10; earliest = 0, PCESVN 5. */
const LATEST = 0xf0;
const EARLIEST = 0;
const latest = (status: string): TdxTcbLevel => level(LATEST, 10, LATEST, status);
const earliest = (status: string): TdxTcbLevel => level(EARLIEST, 5, EARLIEST, status);
const modules = (latestStatus: string, earliestStatus: string): TdxModuleIdentity[] => [
  moduleIdentity('TDX_F0', [[0, latestStatus]]),
  moduleIdentity('TDX_00', [[0, earliestStatus]]),
];
const latestCert = pck(LATEST, 10);
const earliestCert = pck(EARLIEST, 5);

interface QvlRow {
  readonly suite: string;
  readonly info: TdxTcbInfo;
  readonly cert: TcbPck;
  readonly teeTcbSvn: number;
  readonly qe: string | undefined;
  readonly result: string;
}

const row = (
  suite: string,
  levels: [TdxTcbLevel, TdxTcbLevel],
  mods: TdxModuleIdentity[],
  cert: TcbPck,
  teeTcbSvn: number,
  qe: string | undefined,
  result: string,
): QvlRow => ({
  suite,
  info: tcbInfo(levels, mods),
  cert,
  teeTcbSvn,
  qe,
  result,
});

/** QuoteVerifierTcbStatusUT.cpp, every row but the TD-relaunch suites, in its order. */
const QVL_ROWS: readonly QvlRow[] = [
  row('StatusOK', [latest(UTD), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, undefined, UTD),
  row('StatusOK', [latest(UTD), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, UTD, UTD),
  row('StatusOK', [latest(UTD), earliest(RKD)], modules(UTD, OOD), latestCert, LATEST, undefined, UTD),
  row('StatusOK', [latest(UTD), earliest(RKD)], modules(UTD, OOD), latestCert, LATEST, UTD, UTD),
  row('StatusRevoked', [latest(RKD), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, undefined, RKD),
  row('StatusRevoked', [latest(UTD), earliest(OOD)], modules(RKD, OOD), latestCert, LATEST, undefined, RKD),
  row('StatusRevoked', [latest(RKD), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, UTD, RKD),
  row('StatusRevoked', [latest(UTD), earliest(OOD)], modules(RKD, OOD), latestCert, LATEST, UTD, RKD),
  row('StatusRevoked', [latest(UTD), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, RKD, RKD),
  row('StatusOutOfDate', [latest(UTD), earliest(OOD)], modules(UTD, OOD), earliestCert, EARLIEST, undefined, OOD),
  row('StatusOutOfDate', [latest(UTD), earliest(OOD)], modules(UTD, OOD), earliestCert, LATEST, undefined, OOD),
  row('StatusOutOfDate', [latest(RKD), earliest(OOD)], modules(OOD, OOD), latestCert, EARLIEST, undefined, OOD),
  row('StatusOutOfDate', [latest(OOD), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, undefined, OOD),
  row('StatusOutOfDate', [latest(UTD), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, OOD, OOD),
  row('StatusSwHardeningNeeded', [latest(SHN), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, undefined, SHN),
  row('StatusSwHardeningNeeded', [latest(UTD), earliest(SHN)], modules(UTD, OOD), earliestCert, LATEST, UTD, SHN),
  row('StatusConfigurationAndSwHardeningNeeded', [latest(CN_SHN), earliest(OOD)], modules(UTD, OOD), latestCert, LATEST, undefined, CN_SHN),
  row('StatusConfigurationAndSwHardeningNeeded', [latest(UTD), earliest(CN_SHN)], modules(UTD, OOD), earliestCert, LATEST, UTD, CN_SHN),
];

describe("Intel QVL's TCB status table (QuoteVerifierTcbStatusUT.cpp, TDX 1.0 rows)", () => {
  QVL_ROWS.forEach((r, i) => {
    const levels = r.info.tcbLevels.map((l) => l.tcbStatus).join('/');
    const mods = r.info.tdxModuleIdentities.map((m) => m.tcbLevels[0]?.tcbStatus).join('/');
    const cert = r.cert === latestCert ? 'latest' : 'earliest';
    const svn = r.teeTcbSvn === LATEST ? 'latest' : 'earliest';
    it(`${r.suite} #${i}: levels ${levels}, modules ${mods}, cert ${cert}, TEE_TCB_SVN ${svn}, QE ${r.qe ?? 'absent'} → ${r.result}`, () => {
      const e = evaluateTcb(body(r.teeTcbSvn), r.cert, r.info, r.qe);
      expect(e.status).toBe(r.result);
      expect(e.ok).toBe(true);
    });
  });
});

// ---- convergence (TdxModuleCheck.cpp / TcbLevelCheck.cpp) --------------------------------------

/**
 * `convergeTcbStatusWithTdxModuleStatus` and `convergeTcbStatusWithQeTcbStatus`: an OutOfDate
 * component makes UpToDate/SWHardeningNeeded OutOfDate and ConfigurationNeeded /
 * ConfigurationAndSWHardeningNeeded OutOfDateConfigurationNeeded; a Revoked component revokes;
 * otherwise the platform status stands.
 */
const CONVERGE: ReadonlyArray<readonly [platform: string, component: string, result: string]> = [
  [UTD, OOD, OOD],
  [SHN, OOD, OOD],
  [CN, OOD, OOD_CN],
  [CN_SHN, OOD, OOD_CN],
  [OOD, OOD, OOD],
  [OOD_CN, OOD, OOD_CN],
  [RKD, OOD, RKD],
  [UTD, RKD, RKD],
  [CN, RKD, RKD],
  [OOD, RKD, RKD],
  [UTD, UTD, UTD],
  [SHN, UTD, SHN],
  [CN, UTD, CN],
  [CN_SHN, UTD, CN_SHN],
  [OOD, UTD, OOD],
  [OOD_CN, UTD, OOD_CN],
  [RKD, UTD, RKD],
];

describe('status convergence (QVL convergeTcbStatusWithTdxModuleStatus / convergeTcbStatusWithQeTcbStatus)', () => {
  for (const [platform, component, result] of CONVERGE) {
    it(`${platform} with a ${component} component → ${result}`, () => {
      expect(converge(platform, component)).toBe(result);
    });
    it(`${platform} platform level with a ${component} TDX module level → ${result}`, () => {
      // TEE_TCB_SVN[1] = 1 selects TDX_01 (QVL checkTdxModuleTcbStatus), ISVSVN 5 its level.
      const info = tcbInfo([level(1, 1, 1, platform)], [moduleIdentity('TDX_01', [[5, component]])]);
      expect(evaluateTcb(body([5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), pck(1, 1), info, undefined).status).toBe(result);
    });
    it(`${platform} platform level with a ${component} QE → ${result}`, () => {
      // TEE_TCB_SVN[1] = 0: no module identity takes part (QVL: module status OK).
      const tee = [1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
      const info = tcbInfo([level(1, 1, tee, platform)]);
      expect(evaluateTcb(body(tee), pck(1, 1), info, component).status).toBe(result);
    });
  }

  it('the TDX module status is converged in before the QE status (QVL checkTcbLevel)', () => {
    // ConfigurationNeeded platform, OutOfDate module → OutOfDateConfigurationNeeded; an OutOfDate
    // QE then leaves it (it is neither UpToDate/SWHardeningNeeded nor a configuration status).
    const info = tcbInfo([level(1, 1, 1, CN)], [moduleIdentity('TDX_01', [[5, OOD]])]);
    const teeTcbSvn = [5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    expect(evaluateTcb(body(teeTcbSvn), pck(1, 1), info, OOD).status).toBe(OOD_CN);
  });
});

// ---- level selection (TcbLevelCheck.cpp matchTcbLevels / isTdxTcbHigherOrEqual) ---------------

describe('TCB level selection (QVL matchTcbLevels)', () => {
  /** Three levels, newest first as Intel lists them; each lower in every SVN. */
  const LEVELS = [
    level(3, 3, [3, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], UTD, ['INTEL-SA-A']),
    level(2, 2, [2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], SHN, ['INTEL-SA-B']),
    level(1, 1, [1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], OOD, ['INTEL-SA-C']),
  ];
  const info = tcbInfo(LEVELS);
  const svn = (v: number): number[] => [v, 0, v, v, v, v, v, v, v, v, v, v, v, v, v, v];

  it('takes the first level the PCK SGX SVNs, PCESVN and TEE_TCB_SVN all reach, with its advisories', () => {
    expect(evaluateTcb(body(svn(3)), pck(3, 3), info, undefined)).toMatchObject({ ok: true, status: UTD, advisoryIds: ['INTEL-SA-A'] });
    expect(evaluateTcb(body(svn(2)), pck(2, 2), info, undefined)).toMatchObject({ ok: true, status: SHN, advisoryIds: ['INTEL-SA-B'] });
    expect(evaluateTcb(body(svn(9)), pck(9, 9), info, undefined)).toMatchObject({ ok: true, status: UTD });
  });

  it('one SGX component below a level skips it (isCpuSvnHigherOrEqual: any lower component is lower)', () => {
    const sgx = svns(3);
    sgx[15] = 2;
    expect(evaluateTcb(body(svn(3)), pck(sgx, 3), info, undefined).status).toBe(SHN);
  });

  it('a PCESVN below a level skips it', () => {
    expect(evaluateTcb(body(svn(3)), pck(3, 2), info, undefined).status).toBe(SHN);
    expect(evaluateTcb(body(svn(3)), pck(3, 0), info, undefined)).toMatchObject({ ok: false, status: 'TcbNotSupported' });
  });

  it('one TEE_TCB_SVN byte below a level skips it (isTdxTcbHigherOrEqual)', () => {
    const tee = svn(3);
    tee[9] = 1;
    expect(evaluateTcb(body(tee), pck(3, 3), info, undefined).status).toBe(OOD);
  });

  it('with TEE_TCB_SVN[1] = 0, byte 0 is compared too', () => {
    const tee = svn(3);
    tee[0] = 2;
    expect(evaluateTcb(body(tee), pck(3, 3), info, undefined).status).toBe(SHN);
  });

  it('with TEE_TCB_SVN[1] > 0, bytes 0 and 1 are left to the TDX module identity (not tdx.md §4.5 step 2)', () => {
    const withModule = tcbInfo(LEVELS, [moduleIdentity('TDX_02', [[0, UTD]])]);
    // Byte 0 below every level and byte 1 equal to no level's component 1: the first level still
    // matches, because QVL starts the comparison at index 2 when TEE_TCB_SVN[1] > 0.
    const tee = svn(3);
    tee[0] = 0;
    tee[1] = 2;
    expect(evaluateTcb(body(tee), pck(3, 3), withModule, undefined)).toMatchObject({ ok: true, status: UTD });
  });

  it('no level reached is TCB_NOT_SUPPORTED ("TDX TCB Level has not been selected")', () => {
    expect(evaluateTcb(body(svn(0)), pck(3, 3), info, undefined)).toMatchObject({ ok: false, status: 'TcbNotSupported' });
    expect(evaluateTcb(body(svn(3)), pck(0, 3), info, undefined)).toMatchObject({ ok: false, status: 'TcbNotSupported' });
  });
});

// ---- the TDX module identity (TdxModuleCheck.cpp checkTdxModuleTcbStatus) ----------------------

describe('TDX module identity (QVL checkTdxModuleTcbStatus)', () => {
  const info = tcbInfo([level(1, 1, 1, UTD)], [moduleIdentity('TDX_01', [[4, UTD], [2, OOD]])]);
  const tee = (isvSvn: number, version = 1): number[] => [isvSvn, version, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];

  it('takes the first module level whose ISVSVN TEE_TCB_SVN[0] reaches', () => {
    expect(evaluateTcb(body(tee(9)), pck(1, 1), info, undefined).status).toBe(UTD);
    expect(evaluateTcb(body(tee(4)), pck(1, 1), info, undefined).status).toBe(UTD);
    expect(evaluateTcb(body(tee(3)), pck(1, 1), info, undefined).status).toBe(OOD);
    expect(evaluateTcb(body(tee(2)), pck(1, 1), info, undefined).status).toBe(OOD);
  });

  it('no module level reached is TCB_NOT_SUPPORTED', () => {
    expect(evaluateTcb(body(tee(1)), pck(1, 1), info, undefined)).toMatchObject({ ok: false, status: 'TcbNotSupported' });
  });

  it('a module version without an identity fails (QVL: STATUS_TDX_MODULE_MISMATCH)', () => {
    expect(evaluateTcb(body(tee(9, 2)), pck(1, 1), info, undefined).ok).toBe(false);
  });

  it('a MRSIGNERSEAM other than the identity\'s is STATUS_TDX_MODULE_MISMATCH', () => {
    const b = { ...body(tee(9)), mrSignerSeam: new Uint8Array(48).fill(1) };
    expect(evaluateTcb(b, pck(1, 1), info, undefined)).toMatchObject({ ok: false, status: 'TdxModuleMismatch' });
  });

  it('the advisories of the platform, TDX module and QE levels are merged, each once (dcap-qvl TcbStatusWithAdvisory::merge)', () => {
    const withAdvisories = tcbInfo(
      [level(1, 1, 1, UTD, ['INTEL-SA-P', 'INTEL-SA-S'])],
      [{ ...moduleIdentity('TDX_01', [[4, UTD]]), tcbLevels: [{ isvSvn: 4, tcbStatus: UTD, tcbDate: '2024-01-01T00:00:00Z', advisoryIds: ['INTEL-SA-M', 'INTEL-SA-S'] }] }],
    );
    const e = evaluateTcb(body(tee(9)), pck(1, 1), withAdvisories, UTD, ['INTEL-SA-Q']);
    expect(e).toMatchObject({ ok: true, status: UTD });
    expect(e.advisoryIds).toEqual(['INTEL-SA-P', 'INTEL-SA-S', 'INTEL-SA-M', 'INTEL-SA-Q']);
  });

  it('a TCB type other than 0, or none, is refused (QVL TcbInfo.cpp parsePartV2: "Supported types are: [0]")', () => {
    expect(evaluateTcb(body(tee(9)), pck(1, 1), { ...info, tcbType: 1 }, undefined)).toMatchObject({ ok: false });
    expect(evaluateTcb(body(tee(9)), pck(1, 1), { ...info, tcbType: undefined }, undefined).detail).toMatch(/tcbType is missing/);
    // Positive control: type 0.
    expect(evaluateTcb(body(tee(9)), pck(1, 1), info, undefined)).toMatchObject({ ok: true, status: UTD });
  });

  it('a TDX TCB info without tdxModule is refused, whatever the module version (QVL TcbInfo.cpp parsePartV3; dcap-qvl match_tdx_module_identity)', () => {
    // QVL: "TCB Info JSON for TDX should have [tdxModule] field" (STATUS_SGX_TCB_INFO_INVALID);
    // dcap-qvl src/verify.rs: "TDX TCB Info is missing tdxModule field".
    const without = { ...info, tdxModule: undefined };
    expect(evaluateTcb(body(tee(9)), pck(1, 1), without, undefined).ok).toBe(false);
    expect(evaluateTcb(body(tee(9, 0)), pck(1, 1), without, undefined).detail).toMatch(/no tdxModule/);
    // Positive control: the same TCB info with its tdxModule.
    expect(evaluateTcb(body(tee(9)), pck(1, 1), info, undefined)).toMatchObject({ ok: true, status: UTD });
  });
});

// ---- dcap-qvl's sample and its own collateral ----------------------------------------------------

describe.skipIf(!HAVE_SHARED)("dcap-qvl's sample quote and collateral (vectors/SOURCES.md, tdx.md §5.1)", () => {
  const DIR = 'evidence/tdx';
  const collateral = (): unknown => sharedJson(`${DIR}/dcapqvl-tdx_quote_collateral.json`);
  // Inside the collateral's validity (issued 2025-06-19T10:16:03Z, next update 2025-07-19); dcap-qvl
  // verifies at a time inside the same window (`now_from_collateral`).
  const now = new Date('2025-06-20T00:00:00Z');

  it('is UpToDate with no advisory IDs, as dcap-qvl reports (tests/verify_quote.rs could_parse_tdx_quote)', async () => {
    const r = await verifyTdxEvidence(loadTdxEvidence(sharedBytes(`${DIR}/dcapqvl-tdx_quote`)), { collateral: collateral(), now });
    expect(r.tcbStatus).toBe('UpToDate');
    expect(r.advisoryIds).toEqual([]);
    expect(r.checks.find((c) => c.name === 'tcb-status')?.ok).toBe(true);
  });

  describe('the same TCB info with other inputs, judged by the QVL rules above', () => {
    const load = (): { b: TcbBody; p: TcbPck; info: TdxTcbInfo } => {
      const q = loadTdxEvidence(sharedBytes(`${DIR}/dcapqvl-tdx_quote`)).quote;
      if (!q) throw new Error('no quote');
      const leaf = q.pckChainDer[0];
      if (!leaf) throw new Error('no PCK leaf');
      return { b: q.body, p: readPckExtensions(parseCertificate(leaf, 'PCK leaf')), info: parseCollateral(collateral()).tcbInfo };
    };
    const withSvn = (b: TcbBody, i: number, v: number): TcbBody => {
      const teeTcbSvn = b.teeTcbSvn.slice();
      teeTcbSvn[i] = v;
      return { ...b, teeTcbSvn };
    };

    it('the quote is a TDX module 1 quote, so TDX_01 judges TEE_TCB_SVN[0] (the premise of the rows below)', () => {
      const { b, info } = load();
      expect(b.teeTcbSvn[1]).toBe(1);
      expect(info.tdxModuleIdentities.map((m) => m.id)).toContain('TDX_01');
    });

    it('a TDX module ISVSVN at the OutOfDate TDX_01 level makes the UpToDate platform OutOfDate', () => {
      const { b, p, info } = load();
      const mod = info.tdxModuleIdentities.find((m) => m.id === 'TDX_01');
      const outOfDate = mod?.tcbLevels.find((l) => l.tcbStatus === OOD);
      if (!outOfDate) throw new Error('the collateral has no OutOfDate TDX_01 level');
      expect(evaluateTcb(withSvn(b, 0, outOfDate.isvSvn), p, info, undefined).status).toBe(OOD);
    });

    it('a PCESVN below the UpToDate level selects the OutOfDate level and its advisories', () => {
      const { b, p, info } = load();
      const [first, second] = info.tcbLevels;
      if (!first || !second) throw new Error('the collateral has fewer than two TCB levels');
      expect(second.tcbStatus).toBe(OOD);
      const e = evaluateTcb(b, { ...p, pceSvn: first.pceSvn - 1 }, info, undefined);
      expect(e.status).toBe(OOD);
      expect(e.advisoryIds).toEqual(second.advisoryIds);
    });

    it('an OutOfDate QE makes it OutOfDate', () => {
      const { b, p, info } = load();
      expect(evaluateTcb(b, p, info, OOD).status).toBe(OOD);
    });

    it('a TEE_TCB_SVN[2] below every level matches none', () => {
      const { b, p, info } = load();
      expect(Math.min(...info.tcbLevels.map((l) => l.tdxTcbComponents?.[2]?.svn ?? 0))).toBeGreaterThan(0);
      expect(evaluateTcb(withSvn(b, 2, 0), p, info, undefined)).toMatchObject({ ok: false, status: 'TcbNotSupported' });
    });
  });
});
