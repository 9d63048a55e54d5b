/**
 * Typed client for the kap-notes server extension (`/kap-notes/api/`).
 *
 * Requests go through `ServerConnection`, so they carry jupyter_server's auth (token, XSRF cookie).
 * The server answers JSON; errors are HTTP 4xx/5xx with `{"error": "message for the clinician"}`,
 * surfaced here as `KapApiError` with that message.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IConfirmation, parseConfirmations } from './confirmation';
import { IAccessRequests, IWaiting, parseAccessRequests, parseWaiting } from './requests';
import { IClinicSettingsInfo, parseClinicSettings } from './settings';
import { IClinicSettings, IVaultStatus, parseStatus } from './status';
import { trans } from './i18n';

export type { IClinicSettings, IVaultStatus } from './status';

/** The URL path of the REST API, below the server's base URL. */
export const API_PATH = 'kap-notes/api';

/** An error answer from the server (or no answer at all). */
export class KapApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'KapApiError';
    this.status = status;
  }
}

/** The calls the front end makes; every call answers the vault status. */
export class KapClient {
  constructor(
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  status(): Promise<IVaultStatus> {
    return this._status('status', { method: 'GET' });
  }

  unlock(user: string, passphrase: string): Promise<IVaultStatus> {
    return this._status('unlock', post({ user, passphrase }));
  }

  lock(): Promise<IVaultStatus> {
    return this._status('lock', post({}));
  }

  /** Report user activity, which postpones auto-lock. */
  touch(): Promise<IVaultStatus> {
    return this._status('touch', post({}));
  }

  /** Send settings: this user's auto-lock, and clinic settings to keep in the vault (admins;
   * 403 for anyone else, 423 while locked). */
  settings(settings: IClinicSettings | Record<string, unknown>): Promise<IVaultStatus> {
    return this._status('settings', post(settings));
  }

  /** The clinic settings kept in the vault (423 while locked). */
  async clinicSettings(): Promise<IClinicSettingsInfo> {
    const info = parseClinicSettings(await this._request('settings', { method: 'GET' }));
    if (info === null) {
      throw unexpected('settings');
    }
    return info;
  }

  /** Kernel requests waiting for this user's passphrase (polling is not activity). */
  async confirmations(): Promise<IConfirmation[]> {
    return parseConfirmations(await this._request('confirmations', { method: 'GET' }));
  }

  /** Send the passphrase for one waiting request; 403 (`KapApiError`) when it is wrong. */
  async confirm(id: string, passphrase: string): Promise<unknown> {
    return this._request(`confirmations/${encodeURIComponent(id)}`, post({ passphrase }));
  }

  /** Say no: the waiting kernel is told "cancelled". */
  async cancelConfirmation(id: string): Promise<void> {
    await this._request(`confirmations/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** How many access requests and supervisor proposals wait (polling is not activity). */
  async waiting(): Promise<IWaiting> {
    const waiting = parseWaiting(await this._request('waiting', { method: 'GET' }));
    if (waiting === null) {
      throw unexpected('waiting');
    }
    return waiting;
  }

  /** Requests to the user's patients (who asked, for whom) and proposed supervisors. */
  async accessRequests(): Promise<IAccessRequests> {
    const found = parseAccessRequests(await this.operation('access_requests', {}));
    if (found === null) {
      throw unexpected('access_requests');
    }
    return found;
  }

  /** The treating therapist gives `user` access (403 for anyone else). */
  async approveAccess(patientId: string, user: string): Promise<void> {
    await this.operation('approve_access', { patient_id: patientId, user });
  }

  /** The treating therapist declines a request. */
  async denyAccess(patientId: string, user: string): Promise<void> {
    await this.operation('deny_access', { patient_id: patientId, user });
  }

  /** The therapist accepts the supervisor an admin proposed. */
  async acceptSupervisor(supervisor: string): Promise<void> {
    await this.operation('accept_supervisor', { supervisor });
  }

  /** Run one service operation (`POST ops/<name>`) as the unlocked user. */
  operation(name: string, args: object): Promise<unknown> {
    return this._request(`ops/${encodeURIComponent(name)}`, post(args));
  }

  private async _status(endpoint: string, init: RequestInit): Promise<IVaultStatus> {
    const body = await this._request(endpoint, init);
    const status = parseStatus(body);
    if (status === null) {
      throw unexpected(endpoint);
    }
    return status;
  }

  private async _request(endpoint: string, init: RequestInit): Promise<unknown> {
    const url = URLExt.join(this.serverSettings.baseUrl, API_PATH, endpoint);
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.serverSettings);
    } catch (error) {
      throw new KapApiError(
        trans.__(
          'Cannot reach the Jupyter server (%1). Is JupyterLab still running?',
          String(error)
        ),
        0
      );
    }
    const text = await response.text();
    let data: unknown = null;
    if (text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      throw new KapApiError(errorMessage(data, response.status), response.status);
    }
    return data;
  }
}

function unexpected(endpoint: string): KapApiError {
  return new KapApiError(
    trans.__('The kap-notes server sent an unexpected answer to %1.', endpoint),
    500
  );
}

function post(body: object): RequestInit {
  return {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  };
}

/** The clinician-facing message of an error answer. */
export function errorMessage(data: unknown, status: number): string {
  if (typeof data === 'object' && data !== null && 'error' in data) {
    const error = (data as { error: unknown }).error;
    if (typeof error === 'string' && error.length > 0) {
      return error;
    }
  }
  if (status === 404) {
    return trans.__(
      'The kap-notes server extension is not running. Ask your admin to run ' +
        '`jupyter server extension enable kap_notes.server` and restart JupyterLab.'
    );
  }
  if (status === 403) {
    return trans.__(
      'The Jupyter server refused the request (403). Reload the page and sign in again.'
    );
  }
  return trans.__('The kap-notes server answered with an error (HTTP %1).', status);
}
