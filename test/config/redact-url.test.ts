/**
 * Store URLs in messages and logs (src/config/redact-url.ts): every secret
 * hidden, in every form pg, mysql2, ioredis and mongodb accept — userinfo,
 * query parameters, several hosts, percent-encoded characters, URLs the
 * WHATWG parser refuses — and nothing else changed.
 */
import { describe, expect, it } from 'vitest';
import { redactSecretsIn, redactUrl } from '../../src/config/redact-url.ts';

interface Case {
  url: string;
  shown: string;
  /** Texts that must not appear in what is shown. */
  secrets: string[];
}

const cases: Case[] = [
  {
    url: 'postgres://app:S3cr3tPw@db.example:5432/jobs',
    shown: 'postgres://app:***@db.example:5432/jobs',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'postgres://app@db.example/jobs?password=S3cr3tPw',
    shown: 'postgres://app@db.example/jobs?password=***',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'postgresql://app:S3/cr3t@db.example/jobs',
    shown: 'postgresql://app:***@db.example/jobs',
    secrets: ['S3/cr3t', 'cr3t'],
  },
  {
    url: 'postgres://app:S3cr@tPw@db.example/jobs',
    shown: 'postgres://app:***@db.example/jobs',
    secrets: ['S3cr@tPw', 'S3cr', 'tPw'],
  },
  {
    url: 'postgres://app:pa%2Fss%40w0rd%3A@db/jobs',
    shown: 'postgres://app:***@db/jobs',
    secrets: ['pa%2Fss', 'ss%40w0rd', 'w0rd'],
  },
  {
    url: 'postgres://app@db/jobs?sslmode=require&sslpassword=K3yPass&sslkey=/etc/ssl/private/app.key',
    shown: 'postgres://app@db/jobs?sslmode=require&sslpassword=***&sslkey=***',
    secrets: ['K3yPass', 'app.key'],
  },
  {
    url: 'postgres://app@db/jobs?PASSWORD=S3cr3tPw',
    shown: 'postgres://app@db/jobs?PASSWORD=***',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'postgres://app@db/jobs?pass%77ord=S3cr3tPw',
    shown: 'postgres://app@db/jobs?pass%77ord=***',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'postgres://app@db/jobs?password=ab&cdS3cr3t&sslmode=require',
    shown: 'postgres://app@db/jobs?password=***&***&sslmode=require',
    secrets: ['cdS3cr3t'],
  },
  {
    url: 'postgres://us er:p ss w0rd@db/jobs',
    shown: 'postgres://us er:***@db/jobs',
    secrets: ['p ss', 'w0rd'],
  },
  {
    url: 'postgres://app:S3cr3tPw@[::1:5432/jobs',
    shown: 'postgres://app:***@[::1:5432/jobs',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'postgres://app@db/jobs#S3cr3tPw',
    shown: 'postgres://app@db/jobs#***',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'mysql://root:S3cr3tPw@127.0.0.1:3306/test?pass=Other5ecret',
    shown: 'mysql://root:***@127.0.0.1:3306/test?pass=***',
    secrets: ['S3cr3tPw', 'Other5ecret'],
  },
  {
    url: 'mariadb://root:S3cr3t#Pw@db/test',
    shown: 'mariadb://root:***@db/test',
    secrets: ['S3cr3t', 'Pw@'],
  },
  {
    url: 'redis://:S3cr3tPw@127.0.0.1:6379/0',
    shown: 'redis://:***@127.0.0.1:6379/0',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'rediss://default:S3cr3tPw@cache.example:6380',
    shown: 'rediss://default:***@cache.example:6380',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'redis://S3cr3tPw@cache.example:6379',
    shown: 'redis://***@cache.example:6379',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'mongodb+srv://app:S3cr3tPw@cluster0.abcde.mongodb.net/jobs?retryWrites=true&w=majority',
    shown: 'mongodb+srv://app:***@cluster0.abcde.mongodb.net/jobs?retryWrites=true&w=majority',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'mongodb://app:S3cr3tPw@h1:27017,h2:27017,h3/jobs?replicaSet=rs0&authSource=admin',
    shown: 'mongodb://app:***@h1:27017,h2:27017,h3/jobs?replicaSet=rs0&authSource=admin',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'mongodb://app@h1/jobs?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:T0kenValue',
    shown: 'mongodb://app@h1/jobs?authMechanism=MONGODB-AWS&authMechanismProperties=***',
    secrets: ['T0kenValue'],
  },
  {
    url: 'mongodb://h/jobs?ssl=true;tlsCertificateKeyFilePassword=S3cr3tPw',
    shown: 'mongodb://h/jobs?ssl=true;tlsCertificateKeyFilePassword=***',
    secrets: ['S3cr3tPw'],
  },
  {
    url: 'host=db user=app password=S3cr3tPw dbname=jobs',
    shown: 'host=db user=app password=*** dbname=jobs',
    secrets: ['S3cr3tPw'],
  },
];

describe('redactUrl', () => {
  it.each(cases)('shows $url as $shown', ({ url, shown, secrets }) => {
    const redacted = redactUrl(url);
    expect(redacted).toBe(shown);
    for (const secret of secrets) expect(redacted).not.toContain(secret);
  });

  it.each([
    'sqlite:jobs.sqlite',
    'sqlite:/var/lib/app/jobs.sqlite',
    'postgres://app@db.example:5432/jobs?sslmode=require',
    'mysql://root@127.0.0.1:3306/test',
    'redis://127.0.0.1:6379/2',
    'mongodb://h1:27017,h2:27017/jobs?replicaSet=rs0',
    'memory',
  ])('leaves %s, which holds no secret, as it is', (url) => {
    expect(redactUrl(url)).toBe(url);
  });
});

describe('redactSecretsIn', () => {
  it('hides the secrets of a URL wherever a message repeats them, raw or percent-decoded', () => {
    const url = 'postgres://app:pa%2Fss%40w0rd@db/jobs?sslpassword=K3yPass';
    const message = `could not connect to ${url}: password "pa/ss@w0rd" rejected; key passphrase K3yPass wrong`;
    const shown = redactSecretsIn(message, url);
    expect(shown).toBe(
      'could not connect to postgres://app:***@db/jobs?sslpassword=***: password "***" rejected; key passphrase *** wrong',
    );
  });

  it('leaves a message without secrets as it is, and does not garble it for a very short password', () => {
    expect(redactSecretsIn('connect ECONNREFUSED 127.0.0.1:1', 'redis://:S3cr3tPw@h:1')).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(redactSecretsIn('Access denied for user', 'mysql://root:e@h/db')).toBe(
      'Access denied for user',
    );
  });
});
