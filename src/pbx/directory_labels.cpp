// Directory labels on extensions: the panel's directory (src/directory) decides the name,
// group, order and hidden flag of each extension; the engine only stores them and marks the
// extension changed so the next batch carries an upsert (or, for a hidden one, a removal made
// by the JSON layer). Pure like the rest of the engine: no clock, no I/O. Numbers the engine
// does not know are ignored; the caller re-applies its labels after each resync and whenever an
// extension shows up.
#include "pbx/engine.hpp"

namespace opdesk::pbx {

bool Engine::set_extension_directory(std::string_view ext, std::string_view name,
                                     std::string_view group, int order, bool hidden) {
  Extension* e = ext_find(ext);
  if (e == nullptr) return false;
  if (e->name == name && e->group == group && e->order == order && e->hidden == hidden) return true;
  e->name.assign(name);
  e->group.assign(group);
  e->order = order;
  e->hidden = hidden;
  mark(EntityKind::kExtension, ext);
  return true;
}

}  // namespace opdesk::pbx
