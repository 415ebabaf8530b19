import { COMMAND_NAMES } from '../../common/protocol.js';
import { TIMELINE_KINDS } from '../timeline.js';

/**
 * The HTTP API's OpenAPI 3.1 description, served at GET /api/openapi.json.
 * A unit test keeps its paths and the router's equal.
 */
const bearer = [{ bearer: [] }];
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } };
const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const json = (ref: string, description = 'OK') => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const common = { '401': error('No or wrong admin token'), '404': error('No such box') };
/** Every balena path: not configured (503, with what to set), and balena itself failing or unreachable (502). */
const balenaErrors = { '401': common['401'], '502': error('The balena API failed or cannot be reached (the message says which)'), '503': error('balena is not configured: the message says which variables to set') };
const body = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'roomcast fleet service',
    version: '1',
    description:
      'Manage roomcast boxes: list them with their stream state and health, set their desired config (applied within seconds, only the affected part restarts), send commands, read health history, enrol and revoke. Every path but /api/enrol, /api/openapi.json, /api/login, /api/logout and /api/session needs `Authorization: Bearer <ROOMCAST_ADMIN_TOKEN>`, or the dashboard\'s session cookie from POST /api/login, with the session\'s CSRF token in `X-CSRF-Token` on every request that is not a GET. Stream keys are accepted in full and only ever returned as their last 4 characters.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'roomcast_session' } },
    schemas: {
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, details: { type: 'array', items: { type: 'string' } } } },
      Device: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          online: { type: 'boolean' },
          status: { enum: ['online', 'offline', 'lost', null], description: 'offline: stopped cleanly; lost: the connection broke (last will)' },
          state: { enum: ['idle', 'starting', 'live', 'stopping', 'error', null], description: 'The stream state the box last reported' },
          stateReason: { type: ['string', 'null'] },
          lastSeen: { type: ['string', 'null'], format: 'date-time' },
          enrolledAt: { type: 'string', format: 'date-time' },
          revoked: { type: 'boolean' },
          desiredVersion: { type: 'integer', description: 'Newest desired config version (0: none set)' },
          appliedVersion: { type: ['integer', 'null'], description: 'The version the box runs (0: its own variables only)' },
          refused: { type: ['object', 'null'], properties: { version: { type: 'integer' }, errors: { type: 'array', items: { type: 'string' } } } },
          config: { type: 'object', additionalProperties: { type: 'string' }, description: 'Desired ROOMCAST_* values, stream keys masked to their last 4 characters' },
          running: { type: 'object', additionalProperties: { type: 'string' }, description: 'The ROOMCAST_* values the box last reported running with (its own variables under the applied config), secrets masked' },
          destinations: { type: 'array', items: { $ref: '#/components/schemas/Destination' } },
          stream: {
            type: ['object', 'null'],
            description: 'The rest of the last report: since, encoder (fps), video (slate on while the camera is lost), recording (enabled, freeBytes, stopped), restarts, audio (peakDb/rmsDb per channel, silent, clipping, failed). See device/state.ts (StreamState).',
            additionalProperties: true,
          },
          ipfs: {
            type: ['object', 'null'],
            description: 'The ipfs destination (null without it). vodCid: the last finished talk, a directory with index.m3u8, pinned on the box and the fleet; watch it at /watch/<id>.',
            properties: {
              peerId: { type: ['string', 'null'] },
              stream: { type: ['string', 'null'], description: 'The talk being published' },
              segments: { type: 'integer' },
              lastCid: { type: ['string', 'null'] },
              vodCid: { type: ['string', 'null'] },
              vodStream: { type: ['string', 'null'] },
              pinnedBytes: { type: 'integer' },
              unpinned: { type: 'integer' },
              lastError: { type: ['string', 'null'] },
            },
          },
          health: { $ref: '#/components/schemas/Health' },
          healthAt: { type: ['string', 'null'], format: 'date-time' },
          update: { type: ['object', 'null'], properties: { pending: { type: 'boolean', description: 'balena has an update for the box' }, locked: { type: 'boolean', description: 'the box holds its update lock (it is live)' } } },
          updateWaiting: { type: 'boolean', description: 'An update waits for the talk to end' },
          attention: { type: 'array', items: { $ref: '#/components/schemas/Attention' }, description: 'What needs a human now, most urgent first (fleet/attention.ts)' },
        },
      },
      Attention: {
        type: 'object',
        properties: {
          kind: { type: 'string', description: 'box-unreachable, stream-error, destination-failing, camera-lost, mic-failed, mic-silent, recording-stopped, disk-low, under-voltage, throttled, too-hot, config-refused' },
          severity: { enum: ['critical', 'warning'] },
          message: { type: 'string', description: 'In plain words, for the dashboard\'s banner' },
        },
      },
      TimelineEvent: {
        type: 'object',
        properties: { at: { type: 'string', format: 'date-time' }, kind: { enum: TIMELINE_KINDS }, message: { type: 'string' } },
      },
      Destination: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          platform: { enum: ['youtube', 'twitch', 'facebook', 'custom', 'ipfs'] },
          url: { type: 'string', description: 'Stream key masked' },
          state: { enum: ['idle', 'connecting', 'live', 'retrying'] },
          bytesSent: { type: 'integer' },
          bitrateKbps: { type: 'number' },
          failures: { type: 'integer' },
          lastError: { type: ['string', 'null'] },
          retryInMs: { type: ['number', 'null'] },
        },
      },
      Health: {
        type: ['object', 'null'],
        description: 'One sample; a field the box could not measure is absent. See common/protocol.ts (Health).',
        additionalProperties: true,
      },
      ConfigRequest: {
        type: 'object',
        required: ['config'],
        properties: { config: { type: 'object', additionalProperties: { type: 'string' }, description: 'ROOMCAST_* variables (see README); "" means the default' } },
      },
      CommandResponse: {
        type: 'object',
        properties: {
          response: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              ok: { type: 'boolean' },
              result: { type: 'object', description: 'snapshot: { jpegBase64, width, height }, the JPEG also kept for GET /api/devices/{id}/snapshot.jpg' },
              error: { type: 'string' },
            },
          },
        },
      },
      BalenaStatus: {
        type: 'object',
        properties: { configured: { type: 'boolean' }, fleet: { type: ['string', 'integer', 'null'] }, apiUrl: { type: 'string' }, message: { type: 'string', description: 'Without balena: which variables to set, in plain words' } },
      },
      ReleaseRef: { type: ['object', 'null'], properties: { id: { type: 'integer' }, commit: { type: 'string' }, version: { type: ['string', 'null'] } } },
      Release: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          commit: { type: 'string' },
          version: { type: ['string', 'null'] },
          status: { type: 'string', description: 'balena build status; only success can be pinned' },
          createdAt: { type: 'string', format: 'date-time' },
          isFinal: { type: 'boolean', description: 'false: a draft, pinned only to a box or a tag group' },
          invalidated: { type: 'boolean' },
        },
      },
      DeviceRelease: {
        type: 'object',
        properties: {
          deviceId: { type: 'string', description: 'The balena uuid, the box id' },
          balenaId: { type: 'integer' },
          name: { type: 'string' },
          online: { type: 'boolean' },
          running: { $ref: '#/components/schemas/ReleaseRef' },
          target: { $ref: '#/components/schemas/ReleaseRef' },
          pinned: { $ref: '#/components/schemas/ReleaseRef' },
          updateStatus: { type: ['string', 'null'], description: 'downloading, downloaded, applying changes, rejected, aborted, done' },
          overallStatus: { type: ['string', 'null'] },
          progress: { type: ['integer', 'null'] },
          tags: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      PinTarget: {
        oneOf: [
          { type: 'object', required: ['kind'], properties: { kind: { const: 'fleet' } } },
          { type: 'object', required: ['kind', 'deviceId'], properties: { kind: { const: 'device' }, deviceId: { type: 'string' } } },
          { type: 'object', required: ['kind', 'key', 'value'], properties: { kind: { const: 'tag' }, key: { type: 'string' }, value: { type: 'string' } }, description: 'The boxes with this balena device tag' },
        ],
      },
      PinRequest: {
        type: 'object',
        required: ['release', 'target'],
        properties: { release: { type: ['integer', 'string'], description: 'A release id, or its commit (7 characters or more)' }, target: { $ref: '#/components/schemas/PinTarget' } },
      },
      RolloutRequest: {
        type: 'object',
        required: ['release', 'canary', 'testDestination'],
        properties: {
          release: { type: ['integer', 'string'], description: 'A final, successful release: its id or commit' },
          canary: { type: 'string', description: 'The box that gets the release first' },
          testDestination: { type: 'string', description: 'One of the canary\'s destination ids (e.g. youtube): it must go live there with the new release' },
          rest: { $ref: '#/components/schemas/PinTarget', description: 'Who gets it after the canary: {"kind":"fleet"} (default) or a tag group' },
          timeouts: { type: 'object', properties: { pinSeconds: { type: 'integer' }, canaryUpdateSeconds: { type: 'integer' }, canaryTestSeconds: { type: 'integer' } } },
        },
      },
      Rollout: {
        type: 'object',
        description: 'pinning-canary, canary-updating, canary-testing, pinning-rest, then done; or failed or aborted with a reason (docs/updates.md)',
        properties: {
          id: { type: 'string' },
          release: { $ref: '#/components/schemas/ReleaseRef' },
          previous: { $ref: '#/components/schemas/ReleaseRef' },
          canary: { type: 'string' },
          testDestination: { type: 'string' },
          rest: { $ref: '#/components/schemas/PinTarget' },
          phase: { enum: ['pinning-canary', 'canary-updating', 'canary-testing', 'pinning-rest', 'done', 'failed', 'aborted'] },
          reason: { type: ['string', 'null'], description: 'What it waits for, or why it failed or was aborted' },
          lastError: { type: ['string', 'null'] },
          startedAt: { type: 'string', format: 'date-time' },
          phaseSince: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
          canaryRunningAt: { type: ['string', 'null'], format: 'date-time' },
          timeouts: { type: 'object', properties: { pinMs: { type: 'integer' }, canaryUpdateMs: { type: 'integer' }, canaryTestMs: { type: 'integer' } } },
          history: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' }, phase: { type: 'string' }, note: { type: 'string' } } } },
        },
      },
      Enrolment: {
        type: 'object',
        properties: { deviceId: { type: 'string' }, mqttUrl: { type: 'string' }, username: { type: 'string' }, password: { type: 'string' }, ca: { type: ['string', 'null'], description: 'PEM of the CA to trust for mqtts' } },
      },
    },
  },
  security: bearer,
  paths: {
    '/api/openapi.json': { get: { summary: 'This description', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
    '/api/enrol': {
      post: {
        summary: 'Enrol a box (done by the box itself)',
        security: [],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['token', 'deviceId'],
                properties: { token: { type: 'string' }, deviceId: { type: 'string' }, name: { type: 'string' }, currentPassword: { type: 'string', description: 'To renew the credentials of an enrolled box' } },
              },
            },
          },
        },
        responses: { '201': json('Enrolment', 'Enrolled: the credentials, shown this once'), '400': error('Bad id or name'), '403': error('Wrong token, or the id was revoked'), '409': error('Already enrolled') },
      },
    },
    '/api/devices': { get: { summary: 'All boxes', responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { devices: { type: 'array', items: { $ref: '#/components/schemas/Device' } } } } } } }, '401': common['401'] } } },
    '/api/devices/{id}': { get: { summary: 'One box', parameters: [id], responses: { '200': json('Device'), ...common } } },
    '/api/devices/{id}/name': {
      put: { summary: 'Rename a box', parameters: [id], requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } } } } } }, responses: { '200': json('Device'), '400': error('Bad name'), ...common } },
    },
    '/api/devices/{id}/config': {
      put: {
        summary: 'Set the desired config',
        description: 'Validated with the box\'s own schema; every error at once. A valid config gets the next version and is applied by the box within seconds (or when it comes back online); only the affected part restarts.',
        parameters: [id],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ConfigRequest' } } } },
        responses: { '200': { description: 'Accepted: the new version, and the box as it is now' }, '400': error('Invalid config: nothing changed'), ...common },
      },
    },
    '/api/devices/{id}/config/preview': {
      post: {
        summary: 'What saving a config would restart, before saving it',
        description: 'The same body as PUT .../config (masked keys count as unchanged). Answers { changes: [{ variable, impact: restart | reconnect | none, message }], interrupts }. Nothing is checked or saved.',
        parameters: [id],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ConfigRequest' } } } },
        responses: { '200': { description: 'The effects' }, '400': error('Not an object of strings'), ...common },
      },
    },
    '/api/devices/{id}/events': {
      get: {
        summary: 'The box\'s timeline, newest first',
        description: 'Went live, stopped, retries with reasons, slate on/off, microphone silent, config applied/refused, online/lost. Kept as long as health history.',
        parameters: [
          id,
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          { name: 'before', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Only events older than this (to page back)' },
        ],
        responses: { '200': { description: '{ events: [TimelineEvent] }', content: { 'application/json': { schema: { type: 'object', properties: { events: { type: 'array', items: { $ref: '#/components/schemas/TimelineEvent' } } } } } } }, '400': error('Bad limit or time'), ...common },
      },
    },
    '/api/devices/{id}/commands/{name}': {
      post: {
        summary: 'Send a command and wait for the box\'s answer',
        parameters: [id, { name: 'name', in: 'path', required: true, schema: { enum: COMMAND_NAMES } }],
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { args: { type: 'object' } } } } } },
        responses: { '200': json('CommandResponse', 'The box answered (ok true or false)'), '400': error('Unknown command or bad arguments'), '409': error('The box is not online'), '504': error('No answer within ROOMCAST_FLEET_COMMAND_TIMEOUT_MS'), ...common },
      },
    },
    '/api/devices/{id}/snapshot.jpg': {
      get: {
        summary: 'The box\'s latest still',
        description: 'The JPEG of the last successful snapshot command this fleet service sent the box (at most 640 pixels wide, what the box was sending: the slate while it showed). Kept in memory: none after a restart or a revocation.',
        parameters: [id],
        responses: { '200': { description: 'The JPEG; Last-Modified says when it arrived', content: { 'image/jpeg': { schema: { type: 'string', contentMediaType: 'image/jpeg' } } } }, ...common, '404': error('No such box, or no snapshot of it yet') },
      },
    },
    '/api/devices/{id}/health': {
      get: {
        summary: 'Health history',
        parameters: [
          id,
          { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Default: an hour before to' },
          { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Default: now (exclusive)' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
        ],
        responses: { '200': { description: 'Samples, oldest first: { samples: [{ at, health }] }' }, '400': error('Bad range'), ...common },
      },
    },
    '/api/devices/{id}/revoke': { post: { summary: 'Revoke a box: its credentials stop working at once and its connection is dropped', parameters: [id], responses: { '200': json('Device'), ...common } } },
    '/api/login': {
      post: {
        summary: 'Log in to the dashboard with the admin token or the admin password',
        description: 'Body { token } or { password }. Sets the session cookie (HttpOnly, SameSite=Strict, 14 h) and answers the CSRF token to send in X-CSRF-Token. Five failures from one address in five minutes and it must wait.',
        responses: { '200': { description: '{ csrf, expires }, and the cookie' }, '400': error('Neither token nor password'), '401': error('Wrong token or password'), '429': error('Too many failed logins (Retry-After says how long to wait)') },
      },
    },
    '/api/logout': { post: { summary: 'End the session: the cookie is cleared and its value refused from then on', responses: { '200': { description: '{ loggedOut: true }' } } } },
    '/api/session': { get: { summary: 'The current session: its CSRF token, when it expires, and whether an admin password is set', responses: { '200': { description: '{ csrf, expires, passwordSet }' }, '401': error('Not logged in, or the session expired') } } },
    '/api/admin-password': {
      put: { summary: 'Set or change the admin password (the admin token keeps working)', description: 'Body { password }, at least 10 characters.', responses: { '200': { description: '{ passwordSet: true }' }, '400': error('Too short or too long'), '401': common['401'] } },
    },
    '/api/events': {
      get: {
        summary: 'Live updates for the dashboard (server-sent events)',
        description: 'Event `devices`: every box (at once, then every 30 s); event `device`: one box that changed (at most twice a second per box). Each carries Device JSON.',
        responses: { '200': { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, '401': common['401'] },
      },
    },
    '/api/enrollment-token': {
      post: { summary: 'Rotate the enrolment token (the old one stops enrolling at once)', responses: { '200': { description: '{ token }, shown this once' }, '409': error('Set by ROOMCAST_ENROLL_TOKEN'), '401': common['401'] } },
    },
    '/api/balena': { get: { summary: 'Whether balena is configured, and if not, how to configure it', responses: { '200': json('BalenaStatus'), '401': common['401'] } } },
    '/api/releases': {
      get: { summary: 'The balena fleet\'s releases, newest first, and the release the fleet is pinned to', responses: { '200': { description: '{ releases: Release[], fleetRelease: ReleaseRef }' }, ...balenaErrors } },
    },
    '/api/releases/devices': { get: { summary: 'Every balena device: running, target and pinned release, update status, tags', responses: { '200': { description: '{ devices: DeviceRelease[] }' }, ...balenaErrors } } },
    '/api/devices/{id}/release': { get: { summary: 'One box\'s releases and update status in balena', parameters: [id], responses: { '200': json('DeviceRelease'), '404': error('Not a device of the balena fleet'), ...balenaErrors } } },
    '/api/releases/pin': {
      post: {
        summary: 'Pin a release to a box, a tag group or the whole fleet',
        requestBody: body('PinRequest'),
        responses: { '200': { description: '{ release, target, pinned: device ids (empty for the fleet) }' }, '400': error('Bad release or target'), '404': error('No such release or device'), '409': error('Release not deployable (failed build, or a draft for the whole fleet)'), ...balenaErrors },
      },
    },
    '/api/releases/rollback': {
      post: {
        summary: 'Roll back: pin the final release before the one the target runs now',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['target'], properties: { target: { $ref: '#/components/schemas/PinTarget' } } } } } },
        responses: { '200': { description: '{ from, release, target, pinned }' }, '409': error('Nothing to roll back to'), ...balenaErrors },
      },
    },
    '/api/rollouts': {
      post: {
        summary: 'Start a staged rollout: the canary first, then the rest once the canary went live on the test destination',
        requestBody: body('RolloutRequest'),
        responses: { '201': json('Rollout', 'Started (and persisted: a restarted service resumes it)'), '400': error('Bad request'), '404': error('No such release or box'), '409': error('A rollout is running, the fleet follows the latest release, or the release or canary is not suitable'), ...balenaErrors },
      },
    },
    '/api/rollouts/current': { get: { summary: 'The latest rollout, running or finished ({ rollout: null } when none)', responses: { '200': { description: '{ rollout: Rollout | null }' }, ...balenaErrors } } },
    '/api/rollouts/current/abort': {
      post: {
        summary: 'Abort the running rollout (what was pinned stays pinned: roll back to undo it)',
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } } } },
        responses: { '200': json('Rollout'), '409': error('No rollout is running'), ...balenaErrors },
      },
    },
  },
} as const;
