-- @totp/prisma 0001_init (PostgreSQL): the tables of prisma/totp.prisma, as `prisma migrate diff` writes them.
-- Applied by applyMigrations() in one transaction; a host on `prisma migrate` may copy it as a migration instead.

-- CreateTable
CREATE TABLE "totp_organizations" (
    "organization_id" TEXT NOT NULL,
    "organization_name" TEXT NOT NULL,
    "organization_slug" TEXT NOT NULL,
    "organization_external_id" TEXT,
    "mfa_policy" TEXT NOT NULL,
    "mfa_methods" TEXT NOT NULL,
    "allowed_mfa_methods" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "totp_organizations_pkey" PRIMARY KEY ("organization_id")
);

-- CreateTable
CREATE TABLE "totp_members" (
    "member_id" TEXT NOT NULL,
    "organization_id" TEXT NOT NULL,
    "email_address" TEXT NOT NULL,
    "email_address_lower" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "external_id" TEXT,
    "mfa_enrolled" BOOLEAN NOT NULL,
    "totp_registration_id" TEXT NOT NULL,
    "default_mfa_method" TEXT NOT NULL,
    "failed_mfa_attempts" INTEGER NOT NULL,
    "lock_created_at" TIMESTAMP(3),
    "lock_expires_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "totp_members_pkey" PRIMARY KEY ("member_id")
);

-- CreateTable
CREATE TABLE "totp_registrations" (
    "totp_registration_id" TEXT NOT NULL,
    "organization_id" TEXT NOT NULL,
    "member_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "secret_key_id" TEXT NOT NULL,
    "secret_ciphertext" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "digits" INTEGER NOT NULL,
    "period_seconds" INTEGER NOT NULL,
    "expires_at" TIMESTAMP(3),
    "last_accepted_step" BIGINT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "activated_at" TIMESTAMP(3),

    CONSTRAINT "totp_registrations_pkey" PRIMARY KEY ("totp_registration_id")
);

-- CreateTable
CREATE TABLE "totp_recovery_codes" (
    "totp_registration_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "totp_recovery_codes_pkey" PRIMARY KEY ("totp_registration_id","key_id","hash")
);

-- CreateTable
CREATE TABLE "totp_intermediate_sessions" (
    "token_hash" TEXT NOT NULL,
    "organization_id" TEXT NOT NULL,
    "member_id" TEXT NOT NULL,
    "authentication_factors" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "totp_intermediate_sessions_pkey" PRIMARY KEY ("token_hash")
);

-- CreateTable
CREATE TABLE "totp_member_sessions" (
    "member_session_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "organization_id" TEXT NOT NULL,
    "member_id" TEXT NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL,
    "last_accessed_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "authentication_factors" JSONB NOT NULL,
    "custom_claims" JSONB NOT NULL,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "totp_member_sessions_pkey" PRIMARY KEY ("member_session_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "totp_organizations_organization_slug_key" ON "totp_organizations"("organization_slug");

-- CreateIndex
CREATE UNIQUE INDEX "totp_organizations_organization_external_id_key" ON "totp_organizations"("organization_external_id");

-- CreateIndex
CREATE UNIQUE INDEX "totp_members_organization_id_email_address_lower_key" ON "totp_members"("organization_id", "email_address_lower");

-- CreateIndex
CREATE UNIQUE INDEX "totp_members_organization_id_external_id_key" ON "totp_members"("organization_id", "external_id");

-- CreateIndex
CREATE INDEX "totp_registrations_member_id_idx" ON "totp_registrations"("member_id");

-- CreateIndex
CREATE UNIQUE INDEX "totp_registrations_organization_id_member_id_status_key" ON "totp_registrations"("organization_id", "member_id", "status");

-- CreateIndex
CREATE INDEX "totp_intermediate_sessions_member_id_idx" ON "totp_intermediate_sessions"("member_id");

-- CreateIndex
CREATE UNIQUE INDEX "totp_member_sessions_token_hash_key" ON "totp_member_sessions"("token_hash");

-- CreateIndex
CREATE INDEX "totp_member_sessions_member_id_idx" ON "totp_member_sessions"("member_id");

-- AddForeignKey
ALTER TABLE "totp_members" ADD CONSTRAINT "totp_members_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "totp_organizations"("organization_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "totp_registrations" ADD CONSTRAINT "totp_registrations_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "totp_members"("member_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "totp_recovery_codes" ADD CONSTRAINT "totp_recovery_codes_totp_registration_id_fkey" FOREIGN KEY ("totp_registration_id") REFERENCES "totp_registrations"("totp_registration_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "totp_intermediate_sessions" ADD CONSTRAINT "totp_intermediate_sessions_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "totp_members"("member_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "totp_member_sessions" ADD CONSTRAINT "totp_member_sessions_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "totp_members"("member_id") ON DELETE CASCADE ON UPDATE CASCADE;
