// Fills the "expected" decision of policy cases (seiri's policy-cases
// format, /work/shared/formats/policy-cases.md) with the decision of
// @cloud-copilot/iam-simulate, an evaluator seiri did not write.
//
//   npm install @cloud-copilot/iam-simulate@0.1.173 && node run.mjs ../privesc-cases.jsonl
import { readFileSync, writeFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const decisions = { Allowed: 'Allow', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' }
const file = process.argv[2]
const out = []
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (line.trim() === '') continue
  const c = JSON.parse(line)
  const named = (ps, prefix) => (ps || []).map((p, i) => ({ name: `${prefix}${i}`, policy: p }))
  const ids = ['r-root', c.request.resourceAccount]
  const sim = {
    request: {
      principal: c.request.principal,
      action: c.request.action,
      resource: { resource: c.request.resource, accountId: c.request.resourceAccount },
      contextVariables: c.request.context || {},
    },
    identityPolicies: named(c.identityPolicies, 'identity'),
    serviceControlPolicies: (c.scps || []).map((level, i) => ({ orgIdentifier: ids[i] || `level-${i}`, policies: named(level, `scp${i}-`) })),
    resourceControlPolicies: [],
    resourcePolicy: c.resourcePolicy || undefined,
    permissionBoundaryPolicies: c.permissionBoundary ? [{ name: 'boundary', policy: c.permissionBoundary }] : undefined,
  }
  const res = await runSimulation(sim, {})
  if (res.resultType === 'error') {
    throw new Error(`${c.id}: ${JSON.stringify(res.errors)}`)
  }
  c.expected = decisions[res.overallResult]
  if (!c.expected) throw new Error(`${c.id}: unknown result ${res.overallResult}`)
  out.push(JSON.stringify(c))
}
writeFileSync(file, out.join('\n') + '\n')
console.log(`${out.length} cases`)
