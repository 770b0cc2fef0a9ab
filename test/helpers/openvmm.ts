/**
 * openvmm's measurement test pattern (microsoft/openvmm file_loader.rs; spec/snp.md §2.4,
 * spec/vbs-cca-corim.md §1.4): pages 0–4 measured (page 0 carries `00 05`), 5–9 unmeasured
 * (page 5 carries `00 05`), page 10 carries `00 05`, page 20 shared — here for an SEV-SNP
 * platform (mask 1, policy 0x3001F) and a VBS platform (mask 2) at once.
 */
import { IgvmBuilder, PageDataFlags } from '../../src/index.js';

/** The digests the spec gives for that pattern: SNP (§2.4), then VBS (§1.4). */
export const OPENVMM_DIGESTS = [
  '889a19386c82e2219bded3e92a764e8c00c29b966d04a662bca6cfdfec647b9051995653390783846557913263d71c4f',
  '30134c9bb89cd72d8a418d1e7afb75927f45e8571dda7ac7be87d4b6c72ca64c',
];

/** The file's bytes. */
export function openvmmSnpVbsBytes(): Uint8Array {
  const b = new IgvmBuilder()
    .platform({ compatibilityMask: 1, platformType: 'SEV_SNP' })
    .platform({ compatibilityMask: 2, platformType: 'VSM_ISOLATION' })
    .guestPolicy({ policy: 0x3001f, compatibilityMask: 1 });
  const data = Uint8Array.of(0x00, 0x05);
  for (let page = 0; page <= 10; page++) {
    const withData = page === 0 || page === 5 || page === 10;
    b.pageData({ gpa: page * 0x1000, compatibilityMask: 3, ...(withData ? { data } : {}), flags: page >= 5 && page <= 9 ? PageDataFlags.UNMEASURED : 0 });
  }
  return b.pageData({ gpa: 0x14000, compatibilityMask: 3, data, flags: PageDataFlags.SHARED }).toBytes();
}
