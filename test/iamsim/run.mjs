// Runs @cloud-copilot/iam-simulate (AGPL-3.0, a test-time tool only: never
// part of the seiri binary or Go module) over a file of seiri policy cases
// (docs/policy-cases.md) and prints one JSON line per case:
//   {"id": ..., "decision": "Allow"|"ImplicitDeny"|"ExplicitDeny"|null,
//    "error": string|null, "ignoredContextKeys": [...]}
// Usage: node run.mjs CASES.jsonl [--time]
import { readFileSync } from 'node:fs'
import { runSimulation, anonymousPrincipal } from '@cloud-copilot/iam-simulate'

const file = process.argv[2]
if (!file) {
  console.error('usage: node run.mjs CASES.jsonl [--time]')
  process.exit(2)
}
const timing = process.argv.includes('--time')
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '')

const decisions = {
  Allowed: 'Allow',
  ImplicitlyDenied: 'ImplicitDeny',
  ExplicitlyDenied: 'ExplicitDeny'
}

function named(prefix, docs) {
  return (docs || []).map((policy, i) => ({ name: `${prefix}[${i}]`, policy }))
}

function levels(prefix, lv) {
  return (lv || []).map((policies, i) => ({
    orgIdentifier: `${prefix}-${i}`,
    policies: named(`${prefix}[${i}]`, policies)
  }))
}

function accountOf(arn) {
  const parts = arn.split(':')
  return parts.length >= 6 ? parts[4] : ''
}

function withPrincipal(doc) {
  if (!doc || typeof doc !== 'object') return doc
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]
  const st = list.map((s) => (s && !('Principal' in s) && !('NotPrincipal' in s) ? { ...s, Principal: '*' } : s))
  return { ...doc, Statement: st }
}

function toSimulation(c) {
  const r = c.request
  const anonymous = r.principal === 'anonymous'
  const principalAccount = anonymous ? '' : accountOf(r.principal)
  const accountId = r.resourceAccount || accountOf(r.resource) || principalAccount
  const sim = {
    request: {
      principal: anonymous ? anonymousPrincipal : r.principal,
      action: r.action,
      resource: { resource: r.resource, accountId },
      contextVariables: r.context || {}
    },
    identityPolicies: anonymous ? [] : named('identityPolicies', c.identityPolicies),
    serviceControlPolicies: anonymous ? [] : levels('scps', c.scps),
    resourceControlPolicies: levels('rcps', c.rcps)
  }
  if (c.resourcePolicy) sim.resourcePolicy = c.resourcePolicy
  if (c.permissionBoundary && !anonymous) {
    sim.permissionBoundaryPolicies = [{ name: 'permissionBoundary', policy: c.permissionBoundary }]
  }
  if (c.sessionPolicy && !anonymous) sim.sessionPolicy = c.sessionPolicy
  if (c.vpcEndpointPolicies && c.vpcEndpointPolicies.length > 0) {
    // An endpoint policy statement without Principal applies to every
    // principal; runSimulation's validation wants it written as "*".
    sim.vpcEndpointPolicies = named('vpcEndpointPolicies', c.vpcEndpointPolicies.map(withPrincipal))
  }
  return sim
}

const out = []
const start = process.hrtime.bigint()
const cpu0 = process.cpuUsage()
for (const line of lines) {
  let c
  try {
    c = JSON.parse(line)
  } catch (e) {
    out.push(JSON.stringify({ id: null, decision: null, error: `invalid JSON: ${e.message}` }))
    continue
  }
  try {
    const res = await runSimulation(toSimulation(c), { simulationMode: 'Strict' })
    if (res.resultType === 'error') {
      out.push(JSON.stringify({ id: c.id, decision: null, error: res.errors.message || 'error' }))
      continue
    }
    const ignored = res.resultType === 'single' ? res.result.ignoredContextKeys || [] : []
    out.push(
      JSON.stringify({
        id: c.id,
        decision: decisions[res.overallResult] ?? null,
        error: decisions[res.overallResult] ? null : `result ${res.overallResult}`,
        resultType: res.resultType,
        ignoredContextKeys: ignored
      })
    )
  } catch (e) {
    out.push(JSON.stringify({ id: c.id, decision: null, error: `exception: ${e.message}` }))
  }
}
const ns = Number(process.hrtime.bigint() - start)
// CPU time of the loop alone (all of node's threads, the garbage collector
// included; node's start-up and module loading excluded), in microseconds.
const cpu = process.cpuUsage(cpu0)
const cpuS = (cpu.user + cpu.system) / 1e6
process.stdout.write(out.join('\n') + '\n')
if (timing) {
  console.error(
    `evaluated ${lines.length} cases in ${(ns / 1e9).toFixed(3)} s: ${((lines.length * 1e9) / ns).toFixed(0)} cases/s; ` +
      `cpu ${cpuS.toFixed(3)} s: ${(lines.length / cpuS).toFixed(0)} cases/cpu-s`
  )
}
