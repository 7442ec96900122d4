/** dbt's warn_if / error_if conditions: `>0`, `>=10`, `!=0`, `=3`. */
export function conditionHolds(condition: string, failures: number): boolean {
  const m = /^\s*(>=|<=|!=|==|=|>|<)\s*(\d+(?:\.\d+)?)\s*$/.exec(condition);
  if (!m) throw new Error(`internal: unchecked threshold '${condition}'`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '>': return failures > n;
    case '>=': return failures >= n;
    case '<': return failures < n;
    case '<=': return failures <= n;
    case '!=': return failures !== n;
    default: return failures === n;
  }
}

export function testStatus(severity: 'error' | 'warn', warnIf: string, errorIf: string, failures: number): 'pass' | 'warn' | 'fail' {
  if (severity === 'error' && conditionHolds(errorIf, failures)) return 'fail';
  if (conditionHolds(warnIf, failures)) return 'warn';
  return 'pass';
}
