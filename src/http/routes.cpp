#include "cadenza/http/app.hpp"

namespace cadenza::http {

void add_generation_routes(App& app);  // projects and versions: generation_handlers.cpp

void add_routes(App& app) {
  add_system_routes(app);
  add_account_routes(app);
  add_preference_routes(app);
  add_tune_vector_routes(app);
  add_variable_routes(app);
  add_track_routes(app);
  add_listen_routes(app);
  add_recommendation_routes(app);
  add_library_routes(app);
  add_job_routes(app);
  add_file_routes(app);
  add_conversion_routes(app);
  add_generation_routes(app);
  add_telegram_routes(app);
  add_openapi_route(app);  // describes the routes above
  add_web_routes(app);  // last: catch-all for the browser app
}

}  // namespace cadenza::http
