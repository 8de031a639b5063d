-- Indexes for purgeExpired (housekeeping): it deletes by expiry, so it must not scan whole tables.

-- CreateIndex
CREATE INDEX "totp_intermediate_sessions_expires_at_idx" ON "totp_intermediate_sessions"("expires_at");

-- CreateIndex
CREATE INDEX "totp_member_sessions_expires_at_idx" ON "totp_member_sessions"("expires_at");

-- CreateIndex
CREATE INDEX "totp_member_sessions_revoked_at_idx" ON "totp_member_sessions"("revoked_at");

-- CreateIndex
CREATE INDEX "totp_registrations_status_expires_at_idx" ON "totp_registrations"("status", "expires_at");
