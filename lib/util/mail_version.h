/*
 * mail_version - the release of Sluice, in one place: the master logs it
 * at start and reload, and smtpd tells policy servers (mail_version, as
 * Postfix's attribute of that name).
 */
#ifndef SLUICE_MAIL_VERSION_H
#define SLUICE_MAIL_VERSION_H

#define SLUICE_MAIL_VERSION	"0.1"

#endif
