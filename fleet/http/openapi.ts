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
          health: { $ref: '#/components/schemas/Health' },
          healthAt: { type: ['string', 'null'], format: 'date-time' },
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
          platform: { enum: ['youtube', 'twitch', 'facebook', 'custom'] },
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
        properties: { response: { type: 'object', properties: { id: { type: 'string' }, ok: { type: 'boolean' }, result: { type: 'object' }, error: { type: 'string' } } } },
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
  },
} as const;
