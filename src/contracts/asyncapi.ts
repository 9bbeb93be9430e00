// The AsyncAPI 3 document of this service's topics, built from the same TypeBox definitions the consumers
// validate with and the relay publishes by (docs/asyncapi.yaml is this, written by `npm run docs`).

import type { TSchema } from '@sinclair/typebox';
import type { TopicNames } from '../config.ts';
import {
  AttendanceRecordCreatedSchema,
  DatingParticipationReceivedSchema,
  DatingParticipationRecordedSchema,
  StudyParticipationReceivedSchema,
  StudyParticipationRecordedSchema,
} from './participation-events.ts';

/** A JSON Schema without TypeBox's symbols and `$id` (AsyncAPI components are named by their key). */
function plain(schema: TSchema): Record<string, unknown> {
  const { $id: _, ...rest } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return rest;
}

const publishedHeaders = {
  type: 'object',
  required: ['event-id', 'event-type', 'occurred-at', 'content-type'],
  properties: {
    'event-id': {
      type: 'string',
      format: 'uuid',
      description:
        'Name-based UUID (v5) of the event type and record id: the same on every re-send and republish. Deduplicate on it.',
    },
    'event-type': { type: 'string', description: 'The payload record name, e.g. AttendanceRecordCreated.' },
    'occurred-at': { type: 'string', format: 'date-time', description: 'When the record was stored, as an ISO instant (UTC).' },
    'content-type': { type: 'string', const: 'application/json' },
    traceparent: { type: 'string', description: 'W3C trace context of the request that created the record, when it had one.' },
  },
};

const deadLetterHeaders = {
  type: 'object',
  description: "The original message's headers, plus:",
  properties: {
    'dlq-reason': {
      type: 'string',
      enum: ['empty-value', 'not-json', 'not-an-object', 'schema-violation', 'invalid-date-time', 'processing-failed'],
    },
    'dlq-error': { type: 'string', description: 'What exactly was wrong, for a person.' },
    'dlq-original-topic': { type: 'string' },
    'dlq-original-partition': { type: 'string', description: 'Decimal partition number.' },
    'dlq-original-offset': { type: 'string', description: 'Decimal offset.' },
    'dlq-consumer-group': { type: 'string' },
    'dlq-failed-at': { type: 'string', format: 'date-time' },
  },
};

const userIdKey = { type: 'string', description: "The record's userId: one user's events stay in order on one partition." };

export function buildAsyncApiDocument(topics: TopicNames): Record<string, unknown> {
  const channel = (address: string, message: string, description: string) => ({
    address,
    description,
    messages: { [message]: { $ref: `#/components/messages/${message}` } },
  });
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'GrewMeet recording command service',
      version: '1.0.0',
      description:
        'Consumes participation events from the dating and study services; publishes one event per stored record ' +
        'through a transactional outbox (at least once, never lost). Every topic name is configurable by environment.',
    },
    defaultContentType: 'application/json',
    channels: {
      datingParticipationCompleted: channel(
        topics.datingParticipationCompleted,
        'DatingParticipationReceived',
        'Env TOPIC_DATING_PARTICIPATION_COMPLETED. Produced by the dating service.',
      ),
      studyParticipationCompleted: channel(
        topics.studyParticipationCompleted,
        'StudyParticipationReceived',
        'Env TOPIC_STUDY_PARTICIPATION_COMPLETED. Produced by the study service.',
      ),
      datingParticipationDeadLetters: channel(
        `${topics.datingParticipationCompleted}.dlq`,
        'DeadLetter',
        'Messages from the dating topic that could not be recorded, byte for byte, with the reason in headers.',
      ),
      studyParticipationDeadLetters: channel(
        `${topics.studyParticipationCompleted}.dlq`,
        'DeadLetter',
        'Messages from the study topic that could not be recorded, byte for byte, with the reason in headers.',
      ),
      attendanceRecorded: channel(topics.attendanceRecorded, 'AttendanceRecordCreated', 'Env TOPIC_ATTENDANCE_RECORDED.'),
      datingParticipationRecorded: channel(
        topics.datingParticipationRecorded,
        'DatingParticipationRecorded',
        'Env TOPIC_DATING_PARTICIPATION_RECORDED.',
      ),
      studyParticipationRecorded: channel(
        topics.studyParticipationRecorded,
        'StudyParticipationRecorded',
        'Env TOPIC_STUDY_PARTICIPATION_RECORDED.',
      ),
    },
    operations: {
      receiveDatingParticipation: {
        action: 'receive',
        channel: { $ref: '#/channels/datingParticipationCompleted' },
        summary: 'Record a dating participation (deduplicated by meetingId + userId).',
      },
      receiveStudyParticipation: {
        action: 'receive',
        channel: { $ref: '#/channels/studyParticipationCompleted' },
        summary: 'Record a study participation (deduplicated by meetingId + userId).',
      },
      sendDatingDeadLetter: {
        action: 'send',
        channel: { $ref: '#/channels/datingParticipationDeadLetters' },
        summary: 'Set aside a dating message that can never be recorded, with the reason; the consumer moves on.',
      },
      sendStudyDeadLetter: {
        action: 'send',
        channel: { $ref: '#/channels/studyParticipationDeadLetters' },
        summary: 'Set aside a study message that can never be recorded, with the reason; the consumer moves on.',
      },
      sendAttendanceRecorded: {
        action: 'send',
        channel: { $ref: '#/channels/attendanceRecorded' },
        summary: 'One event per attendance created by POST /api/attendance.',
      },
      sendDatingParticipationRecorded: {
        action: 'send',
        channel: { $ref: '#/channels/datingParticipationRecorded' },
        summary: 'One event per dating participation recorded; a re-delivered message publishes nothing new.',
      },
      sendStudyParticipationRecorded: {
        action: 'send',
        channel: { $ref: '#/channels/studyParticipationRecorded' },
        summary: 'One event per study participation recorded; a re-delivered message publishes nothing new.',
      },
    },
    components: {
      messages: {
        DatingParticipationReceived: {
          name: 'DatingParticipationReceived',
          payload: { $ref: '#/components/schemas/DatingParticipationReceived' },
          headers: {
            type: 'object',
            properties: { __TypeId__: { type: 'string', description: "spring-kafka's type header: ignored." } },
          },
          bindings: { kafka: { key: { type: ['string', 'null'], description: 'Any key or none.' } } },
          examples: [
            {
              payload: {
                studyGroupId: '6f1c2a3e-8f64-4c1e-9a51-2f0b7d2c9e11',
                userId: '0b8e7a52-3c2d-4e8f-9d1a-5c6b7a8e9f00',
                meetingId: 'a2c4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f',
                studyMeetingEventName: '토요일 커피 모임',
                when: '2025-05-01T19:30:00',
                createdAt: '2025-04-20T10:11:12.123456789',
              },
            },
          ],
        },
        StudyParticipationReceived: {
          name: 'StudyParticipationReceived',
          payload: { $ref: '#/components/schemas/StudyParticipationReceived' },
          bindings: { kafka: { key: { type: ['string', 'null'], description: 'Any key or none.' } } },
          examples: [
            {
              payload: {
                studyGroupId: '6f1c2a3e-8f64-4c1e-9a51-2f0b7d2c9e11',
                userId: '0b8e7a52-3c2d-4e8f-9d1a-5c6b7a8e9f00',
                meetingId: 'c3d5e7f9-2a4b-4c6d-8e0f-1a3b5c7d9e2f',
                studyGroupName: '알고리즘 스터디',
                meetingName: '3주차',
                completedAt: '2025-05-02T21:00:00.5',
              },
            },
          ],
        },
        DeadLetter: {
          name: 'DeadLetter',
          contentType: 'application/octet-stream',
          payload: { description: "The original message's value, unchanged (it may not be JSON)." },
          headers: deadLetterHeaders,
          bindings: { kafka: { key: { description: "The original message's key, unchanged." } } },
        },
        AttendanceRecordCreated: {
          name: 'AttendanceRecordCreated',
          payload: { $ref: '#/components/schemas/AttendanceRecordCreated' },
          headers: publishedHeaders,
          bindings: { kafka: { key: userIdKey } },
          examples: [
            {
              headers: {
                'event-id': '03894ef7-8a81-559e-99c4-4ef088f939ee',
                'event-type': 'AttendanceRecordCreated',
                'occurred-at': '2025-01-03T01:00:00.123000Z',
                'content-type': 'application/json',
              },
              payload: {
                id: 1,
                userId: 'user_1732500000000_123456789012',
                attendanceTime: '2025-01-03T10:00:00',
                createdAt: '2025-01-03T10:00:00.123',
              },
            },
          ],
        },
        DatingParticipationRecorded: {
          name: 'DatingParticipationRecorded',
          payload: { $ref: '#/components/schemas/DatingParticipationRecorded' },
          headers: publishedHeaders,
          bindings: { kafka: { key: userIdKey } },
        },
        StudyParticipationRecorded: {
          name: 'StudyParticipationRecorded',
          payload: { $ref: '#/components/schemas/StudyParticipationRecorded' },
          headers: publishedHeaders,
          bindings: { kafka: { key: userIdKey } },
        },
      },
      schemas: {
        DatingParticipationReceived: plain(DatingParticipationReceivedSchema),
        StudyParticipationReceived: plain(StudyParticipationReceivedSchema),
        AttendanceRecordCreated: plain(AttendanceRecordCreatedSchema),
        DatingParticipationRecorded: plain(DatingParticipationRecordedSchema),
        StudyParticipationRecorded: plain(StudyParticipationRecordedSchema),
      },
    },
  };
}
