#
#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""The lab's Nova virt driver: Nova's fake driver, with guests that behave.

Nova's FakeDriverWithoutFakeNodes keeps its guests in the memory of the
nova-compute process, which differs from a hypervisor twice:

- it keeps a live-migrated guest at the source, so a later evacuation back
  to that host fails with "Instance ... already exists". post_live_migration
  (run at the source) now forgets it, as Nova's FakeLiveMigrateDriver does;
- a restarted nova-compute (``selfheal lab fault host-up``, ``lab up``) has
  lost every guest: Nova shows them ACTIVE with no power state, and they can
  be neither live-migrated nor evacuated. With
  resume_guests_state_on_host_boot, Nova asks the driver to start the guests
  that were running, and this driver does.

Nova loads drivers from nova.virt only: the lab copies this file there
(selfheal.lab.bootstrap.install_nova_fake_driver) and sets compute_driver =
selfheal_lab_fake_driver.FakeDriver.
"""

from nova.virt import fake


class FakeDriver(fake.FakeDriverWithoutFakeNodes):

    def post_live_migration(self, context, instance, block_device_info,
                            migrate_data=None):
        super().post_live_migration(context, instance, block_device_info,
                                    migrate_data)
        self.destroy(context, instance, network_info=None,
                     block_device_info=block_device_info)

    def resume_state_on_host_boot(self, context, instance, network_info,
                                  share_info, block_device_info=None):
        if instance.uuid not in self.instances:
            self.spawn(context, instance, None, None, None, None,
                       network_info=network_info,
                       block_device_info=block_device_info)
