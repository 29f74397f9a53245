// Migration 11's schema (migrations.ts): identities, submissions and their recipients, vacation
// responses, the auto-reply memory and the per-type state counters of store/sending-types.ts.
// A trigger on queue_recipient.attempts carries a queue attempt's outcome to the submission
// recipient it queued and moves the submission's state, in the queue's own transaction.

export const SENDING_SQL = `
CREATE TABLE account_object_state (
  account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  state INTEGER NOT NULL,
  PRIMARY KEY (account_id, type)
) WITHOUT ROWID;

CREATE TABLE account_object_change (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  state INTEGER NOT NULL,
  object_id INTEGER NOT NULL
);
CREATE INDEX account_object_change_state ON account_object_change(account_id, type, state);

CREATE TABLE identity (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  is_default INTEGER NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  reply_to TEXT,
  bcc TEXT,
  text_signature TEXT NOT NULL,
  html_signature TEXT NOT NULL,
  created_state INTEGER NOT NULL
);
CREATE INDEX identity_account ON identity(account_id);
CREATE UNIQUE INDEX identity_default ON identity(account_id) WHERE is_default = 1;

CREATE TABLE email_submission (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  identity_id INTEGER NOT NULL,
  email_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  envelope TEXT NOT NULL,
  send_at INTEGER NOT NULL,
  created_state INTEGER NOT NULL
);
CREATE INDEX email_submission_account ON email_submission(account_id);

CREATE TABLE email_submission_recipient (
  submission_id INTEGER NOT NULL REFERENCES email_submission(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  address TEXT NOT NULL,
  delivered TEXT NOT NULL,
  smtp_reply TEXT NOT NULL,
  queue_message_id INTEGER,
  queue_address TEXT,
  PRIMARY KEY (submission_id, position)
) WITHOUT ROWID;
CREATE INDEX email_submission_recipient_queue ON email_submission_recipient(queue_message_id, queue_address) WHERE queue_message_id IS NOT NULL;

CREATE TRIGGER queue_attempt_to_submission AFTER UPDATE OF attempts ON queue_recipient
  WHEN EXISTS (SELECT 1 FROM email_submission_recipient WHERE queue_message_id = NEW.message_id AND queue_address = NEW.address)
BEGIN
  UPDATE email_submission_recipient
    SET delivered = CASE NEW.state WHEN 'delivered' THEN 'yes' WHEN 'failed' THEN 'no' ELSE 'queued' END,
        smtp_reply = CASE WHEN NEW.state = 'delivered' THEN '250 ' || COALESCE(NEW.last_status, '2.0.0') || ' delivered'
                          ELSE COALESCE(NEW.last_error, smtp_reply) END
    WHERE queue_message_id = NEW.message_id AND queue_address = NEW.address;
  INSERT INTO account_object_state (account_id, type, state)
    SELECT DISTINCT s.account_id, 'EmailSubmission', 1 FROM email_submission s
      WHERE s.id IN (SELECT submission_id FROM email_submission_recipient WHERE queue_message_id = NEW.message_id AND queue_address = NEW.address)
    ON CONFLICT (account_id, type) DO UPDATE SET state = state + 1;
  INSERT INTO account_object_change (account_id, type, state, object_id)
    SELECT s.account_id, 'EmailSubmission', st.state, s.id FROM email_submission s
      JOIN account_object_state st ON st.account_id = s.account_id AND st.type = 'EmailSubmission'
      WHERE s.id IN (SELECT submission_id FROM email_submission_recipient WHERE queue_message_id = NEW.message_id AND queue_address = NEW.address);
END;

CREATE TABLE vacation_response (
  account_id INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
  is_enabled INTEGER NOT NULL,
  from_date INTEGER,
  to_date INTEGER,
  subject TEXT,
  text_body TEXT,
  html_body TEXT
);

CREATE TABLE auto_reply_sent (
  account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  sender TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, sender)
) WITHOUT ROWID;
`;
