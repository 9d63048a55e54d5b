/**
 * Access requests and supervisor proposals waiting for the unlocked therapist, and how the
 * panel, its confirmations and the badge word them.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */

import { trans } from './i18n';

/** One request: `user` would get access to the patient; `requested_by` asked. */
export interface IAccessRequest {
  patient_id: string;
  chart_code: string;
  patient_name: string;
  user: string;
  requested_by: string;
}

/** `POST /kap-notes/api/ops/access_requests`. */
export interface IAccessRequests {
  requests: IAccessRequest[];
  proposed_supervisors: string[];
}

/** `GET /kap-notes/api/waiting`: counts for the badge. */
export interface IWaiting {
  requests: number;
  proposed_supervisors: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequest(value: unknown): value is IAccessRequest {
  return (
    isObject(value) &&
    ['patient_id', 'chart_code', 'patient_name', 'user', 'requested_by'].every(
      key => typeof value[key] === 'string'
    )
  );
}

/** The requests in `data`, or null when `data` does not have the contract's shape. */
export function parseAccessRequests(data: unknown): IAccessRequests | null {
  if (!isObject(data)) {
    return null;
  }
  const { requests, proposed_supervisors } = data;
  if (
    !Array.isArray(requests) ||
    !requests.every(isRequest) ||
    !Array.isArray(proposed_supervisors) ||
    !proposed_supervisors.every(name => typeof name === 'string')
  ) {
    return null;
  }
  return {
    requests: requests.map(r => ({
      patient_id: r.patient_id,
      chart_code: r.chart_code,
      patient_name: r.patient_name,
      user: r.user,
      requested_by: r.requested_by
    })),
    proposed_supervisors: [...proposed_supervisors]
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** The counts in `data`, or null. */
export function parseWaiting(data: unknown): IWaiting | null {
  if (!isObject(data) || !isCount(data.requests) || !isCount(data.proposed_supervisors)) {
    return null;
  }
  return { requests: data.requests, proposed_supervisors: data.proposed_supervisors };
}

/** "KAP-7Q2M (Synthetic Person 3)", or the chart code alone, or the id when nothing is known. */
export function patientLabel(request: IAccessRequest): string {
  const code = request.chart_code || request.patient_id;
  return request.patient_name ? trans.__('%1 (%2)', code, request.patient_name) : code;
}

/** Who asked, for whom: "theo asks for access to KAP-7Q2M (Synthetic Person 3)" or
 * "theo asks for access to KAP-7Q2M (Synthetic Person 3), asked by ada". */
export function requestLine(request: IAccessRequest): string {
  const patient = patientLabel(request);
  return request.requested_by === request.user
    ? trans.__('%1 asks for access to %2', request.user, patient)
    : trans.__(
        '%1 asks for access to %2, asked by %3',
        request.user,
        patient,
        request.requested_by
      );
}

/** The approval question: "Give theo access to KAP-7Q2M's notes?" */
export function approveQuestion(request: IAccessRequest): string {
  return trans.__(
    "Give %1 access to %2's notes?",
    request.user,
    request.chart_code || request.patient_id
  );
}

/** What approving means, under the question. */
export function approveDetail(request: IAccessRequest): string {
  return trans.__(
    '%1 will be able to open every note of %2, including earlier ones (process notes ' +
      'excepted). %3 asked for it. You can revoke access later; revoking starts a new key.',
    request.user,
    patientLabel(request),
    request.requested_by
  );
}

/** The question before accepting a supervisor. */
export function acceptSupervisorQuestion(name: string): string {
  return trans.__('Accept %1 as your supervisor?', name);
}

export function acceptSupervisorDetail(name: string): string {
  return trans.__(
    '%1 will be able to read the notes of all your patients, now and later ' +
      '(process notes excepted), to review and co-sign them.',
    name
  );
}

/** How many things wait for an answer. */
export function waitingCount(waiting: IWaiting | null): number {
  return waiting === null ? 0 : waiting.requests + waiting.proposed_supervisors;
}

/** The badge notification: "2 access requests wait for your answer." */
export function waitingSummary(waiting: IWaiting): string {
  const parts: string[] = [];
  if (waiting.requests > 0) {
    parts.push(trans._n('%1 access request', '%1 access requests', waiting.requests));
  }
  if (waiting.proposed_supervisors > 0) {
    parts.push(
      trans._n('%1 proposed supervisor', '%1 proposed supervisors', waiting.proposed_supervisors)
    );
  }
  if (parts.length === 0) {
    return trans.__('Nothing waits for your answer.');
  }
  const what = parts.length === 2 ? trans.__('%1 and %2', parts[0], parts[1]) : parts[0];
  return trans._n(
    '%2 waits for your answer.',
    '%2 wait for your answer.',
    waitingCount(waiting),
    what
  );
}

/** The menu label: "Access Requests…" or "Access Requests (2)…". */
export function requestsCommandLabel(count: number): string {
  return count > 0 ? trans.__('Access Requests (%1)…', count) : trans.__('Access Requests…');
}

/** True when the badge should tell the user again: more waits than when last told. */
export function shouldNotify(before: number, after: number): boolean {
  return after > before;
}
