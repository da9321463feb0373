#pragma once
// Files that hold accounts, password hashes, secrets and users' music are the owner's alone.

namespace cadenza {

// Sets the process umask to 077, so every file and directory created from here on is 0600 / 0700. The
// commands that write the data directory (serve, user, backup) call it first.
void use_private_file_modes();

}  // namespace cadenza
