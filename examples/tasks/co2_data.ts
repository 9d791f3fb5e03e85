// Monthly mean CO₂ at Mauna Loa, 1958–2020 (vega-datasets' co2-concentration.csv, NOAA's record). The
// series has months missing before May 1964, so it is used from the first month after which no month is
// missing; a row that is not `YYYY-MM-DD,number,...` with a plausible value is skipped and counted (and, as
// it leaves a gap, moves that start later).
import * as path from 'node:path';
import { packageDir, readSmallText, reportSkipped, fail } from './data_files.js';

export const CO2_PACKAGE = 'vega-datasets';

export interface Series { start: string; values: number[]; skipped: Record<string, number> }

/** The longest gap-free tail of the monthly series (of `file`, by default the package's). */
export function loadCo2(file = path.join(packageDir(CO2_PACKAGE), 'data', 'co2-concentration.csv')): Series {
  const text = readSmallText(file, 1 << 20);
  if (text === null) fail(`${file} is missing or bigger than 1 MiB: reinstall ${CO2_PACKAGE}`);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!/^date,co2\b/i.test(lines[0] ?? '')) fail(`${file} does not start with the header Date,CO2: reinstall ${CO2_PACKAGE}`);
  const skipped = { 'malformed rows': 0 };
  const rows: { month: number; date: string; value: number }[] = [];
  for (const line of lines.slice(1)) {
    const m = /^(\d{4})-(\d{2})-\d{2},([0-9.]+)(,|$)/.exec(line.trim());
    const value = m ? Number(m[3]) : NaN;
    const month = m ? Number(m[1]) * 12 + Number(m[2]) - 1 : NaN;
    const monthOk = m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12;
    if (!m || !monthOk || !(value > 100 && value < 1000) || (rows.length > 0 && month <= rows[rows.length - 1].month)) {
      skipped['malformed rows']++;
      continue;
    }
    rows.push({ month, date: line.slice(0, 7), value });
  }
  reportSkipped(file, skipped);
  let first = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i].month !== rows[i - 1].month + 1) first = i;
  const tail = rows.slice(first);
  if (tail.length < 120) fail(`${file} has no ten gap-free years of months: reinstall ${CO2_PACKAGE}`);
  return { start: tail[0].date, values: tail.map((r) => r.value), skipped };
}
