/**
 * Access requests and supervisor proposals waiting for the unlocked therapist, and how the
 * panel, its confirmations and the badge word them.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */

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
  return request.patient_name ? `${code} (${request.patient_name})` : code;
}

/** Who asked, for whom: "theo asks for access to KAP-7Q2M (Synthetic Person 3)" or
 * "theo asks for access to KAP-7Q2M (Synthetic Person 3), asked by ada". */
export function requestLine(request: IAccessRequest): string {
  const line = `${request.user} asks for access to ${patientLabel(request)}`;
  return request.requested_by === request.user ? line : `${line}, asked by ${request.requested_by}`;
}

/** The approval question: "Give theo access to KAP-7Q2M's notes?" */
export function approveQuestion(request: IAccessRequest): string {
  return `Give ${request.user} access to ${request.chart_code || request.patient_id}'s notes?`;
}

/** What approving means, under the question. */
export function approveDetail(request: IAccessRequest): string {
  const asked =
    request.requested_by === request.user
      ? `${request.user} asked for it`
      : `${request.requested_by} asked for it`;
  return (
    `${request.user} will be able to open every note of ${patientLabel(request)}, ` +
    `including earlier ones (process notes excepted). ${asked}. ` +
    'You can revoke access later; revoking starts a new key.'
  );
}

/** The question before accepting a supervisor. */
export function acceptSupervisorQuestion(name: string): string {
  return `Accept ${name} as your supervisor?`;
}

export function acceptSupervisorDetail(name: string): string {
  return (
    `${name} will be able to read the notes of all your patients, now and later ` +
    '(process notes excepted), to review and co-sign them.'
  );
}

/** How many things wait for an answer. */
export function waitingCount(waiting: IWaiting | null): number {
  return waiting === null ? 0 : waiting.requests + waiting.proposed_supervisors;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The badge notification: "2 access requests wait for your answer." */
export function waitingSummary(waiting: IWaiting): string {
  const parts: string[] = [];
  if (waiting.requests > 0) {
    parts.push(plural(waiting.requests, 'access request', 'access requests'));
  }
  if (waiting.proposed_supervisors > 0) {
    parts.push(plural(waiting.proposed_supervisors, 'proposed supervisor', 'proposed supervisors'));
  }
  if (parts.length === 0) {
    return 'Nothing waits for your answer.';
  }
  const verb = waitingCount(waiting) === 1 ? 'waits' : 'wait';
  return `${parts.join(' and ')} ${verb} for your answer.`;
}

/** The menu label: "Access Requests…" or "Access Requests (2)…". */
export function requestsCommandLabel(count: number): string {
  return count > 0 ? `Access Requests (${count})…` : 'Access Requests…';
}

/** True when the badge should tell the user again: more waits than when last told. */
export function shouldNotify(before: number, after: number): boolean {
  return after > before;
}
